/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* HTTP Message Signatures (draft-ietf-httpbis-message-signatures-11 /
 * RFC 9421 base format) with hmac-sha256, as AudioHook clients sign their
 * WebSocket upgrade requests. Pure code: no clock reads, no I/O; the
 * caller passes "now" and, for signing, the nonce. */

#ifndef __AH_SIGNATURE_H__
#define __AH_SIGNATURE_H__

#include <glib.h>

G_BEGIN_DECLS
#define AH_SIGNATURE_ERROR (ah_signature_error_quark ())
    GQuark ah_signature_error_quark (void);

/* One code per cause, so a log line (and a stats counter) says which. */
typedef enum
{
  AH_SIGNATURE_ERROR_MISSING_API_KEY,   /* no X-API-KEY header */
  AH_SIGNATURE_ERROR_UNKNOWN_API_KEY,   /* X-API-KEY not configured */
  AH_SIGNATURE_ERROR_UNSIGNED,  /* no Signature/Signature-Input, key needs one */
  AH_SIGNATURE_ERROR_MALFORMED, /* header syntax, no sig1, bad base64 */
  AH_SIGNATURE_ERROR_UNKNOWN_PARAMETER, /* signature parameter we do not know */
  AH_SIGNATURE_ERROR_KEYID_MISMATCH,    /* keyid != X-API-KEY */
  AH_SIGNATURE_ERROR_ALGORITHM, /* alg present and not hmac-sha256 */
  AH_SIGNATURE_ERROR_MISSING_COMPONENT, /* a required component not covered or absent */
  AH_SIGNATURE_ERROR_NONCE,     /* nonce missing or too short */
  AH_SIGNATURE_ERROR_REPLAYED,  /* nonce seen recently */
  AH_SIGNATURE_ERROR_CREATED_MISSING,   /* no created parameter */
  AH_SIGNATURE_ERROR_CREATED_IN_FUTURE, /* created beyond now + skew */
  AH_SIGNATURE_ERROR_EXPIRED,   /* expires passed */
  AH_SIGNATURE_ERROR_TOO_OLD,   /* created older than the max age */
  AH_SIGNATURE_ERROR_MISMATCH,  /* HMAC differs */
  AH_SIGNATURE_ERROR_BAD_SECRET,        /* configured secret is not base64 */
  AH_SIGNATURE_ERROR_CACHE_FULL,        /* the replay cache is full: refused */
} AhSignatureError;

/* Short stable name of an error code ("mismatch", "replayed", ...), for
 * stats field names and bus messages. */
const gchar *ah_signature_error_nick (AhSignatureError code);
#define AH_SIGNATURE_ERROR_N_CODES (AH_SIGNATURE_ERROR_CACHE_FULL + 1)

typedef struct
{
  const gchar *name;            /* matched case-insensitively */
  const gchar *value;
} AhHeader;

/* The parts of an HTTP request a signature can cover. Repeated header
 * names are joined with ", " in order, as RFC 9421 says. */
typedef struct
{
  const gchar *request_target;  /* path plus query, as on the request line */
  const gchar *authority;       /* Host header value */
  const AhHeader *headers;
  gsize n_headers;
} AhRequest;

/* Parsed Signature-Input member "sig1". */
typedef struct
{
  gchar *label;                 /* "sig1" */
  GPtrArray *components;        /* gchar*, lowercase, without quotes, in order */
  gchar *keyid;
  gchar *nonce;
  gchar *alg;
  gint64 created;               /* -1 when absent */
  gint64 expires;               /* -1 when absent */
  gchar *params;                /* the inner list and params as serialized, verbatim */
  gboolean has_unknown_param;
} AhSignatureInput;

gboolean ah_signature_input_parse (const gchar * header, const gchar * label,
    AhSignatureInput ** out, GError ** error);
void ah_signature_input_free (AhSignatureInput * input);

/* Signature: sig1=:<base64>: -> raw bytes. */
gboolean ah_signature_value_parse (const gchar * header, const gchar * label,
    GBytes ** out, GError ** error);

/* The signature base: one line per component, then "@signature-params". */
gchar *ah_signature_base (const AhRequest * req,
    const AhSignatureInput * input, const gchar * authority_override,
    GError ** error);

/* The components AudioHook clients cover, in the order the reference
 * client emits them. NULL-terminated. */
extern const gchar *const ah_signature_default_components[];

/* Signs @req with the base64 @client_secret. Returns the two header values
 * (without the header names). @nonce must be non-empty. */
gboolean ah_signature_sign (const AhRequest * req, const gchar * api_key,
    const gchar * client_secret, const gchar * nonce, gint64 created,
    gint64 expires, gchar ** signature_input, gchar ** signature,
    GError ** error);

/* 18 random bytes from the system's CSPRNG, base64 (24 characters). */
gchar *ah_signature_new_nonce (void);

typedef struct _AhVerifier AhVerifier;

AhVerifier *ah_verifier_new (void);
void ah_verifier_free (AhVerifier * verifier);

/* @client_secret "" (or NULL) allows unsigned requests for this key. */
gboolean ah_verifier_add_key (AhVerifier * verifier, const gchar * api_key,
    const gchar * client_secret, GError ** error);
gboolean ah_verifier_has_keys (const AhVerifier * verifier);
/* Replaces the keys of @verifier by those of @from, which is left without
 * keys; @verifier's replay cache, authority and limits stay. */
void ah_verifier_take_keys (AhVerifier * verifier, AhVerifier * from);
/* The same API keys with the same secrets, and the same authority; two
 * NULLs (no authentication) are the same. */
gboolean ah_verifier_same_keys (const AhVerifier * a, const AhVerifier * b);

/* Host to use for "@authority" instead of the received Host header (for
 * servers behind proxies and tunnels that rewrite it). NULL to unset. */
void ah_verifier_set_authority (AhVerifier * verifier, const gchar * authority);

/* Defaults: skew 3 s, max age 10 s, minimum nonce 22 characters, replay
 * cache of 4096 nonces. Each nonce is held for its request's whole validity
 * window; while the cache is full, new requests are refused
 * (AH_SIGNATURE_ERROR_CACHE_FULL) rather than a nonce forgotten early. */
void ah_verifier_set_limits (AhVerifier * verifier, guint skew_s,
    guint max_age_s, guint min_nonce_len, guint replay_cache_size);

/* Verifies @req at unix time @now_s. On success *@api_key_out (if not
 * NULL) points at the verifier's copy of the accepted key. The comparison
 * is constant time and an unknown key still computes an HMAC; delaying the
 * failure answer is the caller's job. */
gboolean ah_verifier_verify (AhVerifier * verifier, const AhRequest * req,
    gint64 now_s, const gchar ** api_key_out, GError ** error);

/* Case-insensitive header lookup with ", " joining; NULL when absent.
 * Free with g_free(). */
gchar *ah_request_get_header (const AhRequest * req, const gchar * name);

G_END_DECLS
#endif /* __AH_SIGNATURE_H__ */
