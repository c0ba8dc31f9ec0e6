/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook v2 / Audio Connector messages <-> JSON.
 *
 * The reader is tolerant: unknown members are ignored, unknown message
 * types parse as AH_MSG_UNKNOWN, and it never emits a GLib critical on any
 * input. Members that a known message needs must be present with the right
 * type, or the reader fails with an error naming the member.
 *
 * The writer is strict: "version" is "2", "parameters" is always present,
 * and member types are exactly those of the protocol. */

#ifndef __AH_MESSAGE_H__
#define __AH_MESSAGE_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Largest text message, in bytes, the reader accepts by default. */
#define AH_MESSAGE_MAX_SIZE 65535
/* Deepest JSON nesting the reader accepts. */
#define AH_MESSAGE_MAX_DEPTH 32

#define AH_NULL_UUID "00000000-0000-0000-0000-000000000000"

#define AH_MESSAGE_ERROR (ah_message_error_quark ())
GQuark ah_message_error_quark (void);

typedef enum
{
  AH_MESSAGE_ERROR_TOO_LARGE,   /* over the size limit */
  AH_MESSAGE_ERROR_ENCODING,    /* not UTF-8 */
  AH_MESSAGE_ERROR_TOO_DEEP,    /* nesting over AH_MESSAGE_MAX_DEPTH */
  AH_MESSAGE_ERROR_JSON,        /* not JSON */
  AH_MESSAGE_ERROR_NOT_OBJECT,  /* JSON, but not an object */
  AH_MESSAGE_ERROR_MISSING,     /* a required member is absent */
  AH_MESSAGE_ERROR_TYPE,        /* a member has the wrong JSON type */
  AH_MESSAGE_ERROR_VALUE,       /* right type, invalid value */
} AhMessageError;

/* Who sent (or sends) a message. */
typedef enum
{
  AH_ROLE_CLIENT,               /* Genesys Cloud, or genesyssink */
  AH_ROLE_SERVER,               /* us in genesyssrc, or a bot server */
} AhRole;

typedef enum
{
  AH_MSG_UNKNOWN = 0,
  /* client -> server */
  AH_MSG_OPEN,
  AH_MSG_CLOSE,
  AH_MSG_PING,
  AH_MSG_PAUSED,
  AH_MSG_RESUMED,
  AH_MSG_DISCARDED,
  AH_MSG_UPDATE,
  AH_MSG_ERROR,
  AH_MSG_DTMF,
  AH_MSG_PLAYBACK_STARTED,
  AH_MSG_PLAYBACK_COMPLETED,
  /* server -> client */
  AH_MSG_OPENED,
  AH_MSG_CLOSED,
  AH_MSG_PONG,
  AH_MSG_PAUSE,
  AH_MSG_RESUME,
  AH_MSG_DISCONNECT,
  AH_MSG_RECONNECT,
  AH_MSG_EVENT,
  AH_MSG_UPDATED,
} AhMessageType;

#define AH_MSG_N_TYPES (AH_MSG_UPDATED + 1)

/* Wire name ("open", "playback_started", ...); "unknown" for AH_MSG_UNKNOWN. */
const gchar *ah_message_type_name (AhMessageType type);
AhMessageType ah_message_type_from_name (const gchar * name);
/* The role that sends messages of @type. */
AhRole ah_message_type_sender (AhMessageType type);

typedef enum
{
  AH_FORMAT_UNKNOWN = 0,
  AH_FORMAT_PCMU,
  AH_FORMAT_L16,
} AhFormat;

typedef enum
{
  AH_CHANNEL_UNKNOWN = 0,
  AH_CHANNEL_EXTERNAL,
  AH_CHANNEL_INTERNAL,
} AhChannel;

/* AudioHook audio is 8 kHz, whatever the format. */
#define AH_RATE 8000

const gchar *ah_format_name (AhFormat format);
const gchar *ah_channel_name (AhChannel channel);

/* One media entry. Entries with an unknown format or channel are kept (so
 * offers can be echoed back by index) but are never chosen. */
typedef struct
{
  AhFormat format;
  guint rate;
  guint n_channels;             /* 1 or 2 */
  AhChannel channels[2];
} AhMedia;

gboolean ah_media_equal (const AhMedia * a, const AhMedia * b);
/* Bytes per sample frame (all channels): 1 or 2 for PCMU, 2 or 4 for L16;
 * 0 for an unknown format. */
guint ah_media_frame_size (const AhMedia * media);
/* TRUE when the format, rate and channels are all known and usable. */
gboolean ah_media_is_usable (const AhMedia * media);
/* "PCMU/8000/external,internal"; "none" for NULL or no channels. */
gchar *ah_media_to_string (const AhMedia * media);

typedef struct
{
  gchar *id;
  gint64 serverseq;
  gint64 clientseq;
} AhContinuedSession;

typedef struct
{
  gchar *id;
  gchar *ani;
  gchar *ani_name;
  gchar *dnis;
} AhParticipant;

/* A message. Fields not used by a type are zero/NULL. Durations are in
 * nanoseconds; has_* flags say whether optional members were present.
 * Reference counted; treat a parsed message as immutable. */
typedef struct
{
  /*< private > */
  gatomicrefcount ref_count;
  /*< public > */
  AhMessageType type;
  gchar *type_name;             /* as on the wire (kept for unknown types) */
  gchar *id;                    /* session id */
  gint64 seq;
  gint64 serverseq;             /* client -> server */
  gint64 clientseq;             /* server -> client */
  guint64 position;             /* client -> server, ns */

  /* open */
  gchar *organization_id;
  gchar *conversation_id;
  AhParticipant participant;
  gchar *language;              /* open, update */
  gboolean supported_languages; /* open: asks for the list in opened */
  GArray *continued_sessions;   /* AhContinuedSession */
  JsonObject *custom_config;    /* open, may be NULL */
  JsonObject *input_variables;  /* open (Audio Connector): string values */

  /* open: offers, opened: 0 or 1 chosen entry */
  GArray *media;                /* AhMedia */

  /* opened */
  gboolean start_paused;
  gboolean has_discard_to;
  guint64 discard_to;
  GPtrArray *languages;         /* opened supportedLanguages, gchar*, may be NULL */

  /* close, disconnect */
  gchar *reason;
  /* disconnect, reconnect */
  gchar *info;
  JsonObject *output_variables; /* disconnect: string values, may be NULL */

  /* ping */
  gboolean has_rtt;
  guint64 rtt;

  /* resumed, discarded */
  guint64 start;
  guint64 discarded;

  /* error */
  gint64 code;
  gchar *message;
  gboolean has_retry_after;
  guint64 retry_after;

  /* dtmf */
  gchar *digit;

  /* event: array of {type, data} objects */
  JsonArray *entities;
} AhMessage;

AhMessage *ah_message_new (AhMessageType type);
AhMessage *ah_message_ref (AhMessage * msg);
void ah_message_unref (AhMessage * msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AhMessage, ah_message_unref);

/* Convenience for filling in messages to send. */
void ah_message_add_media (AhMessage * msg, const AhMedia * media);
void ah_message_add_continued_session (AhMessage * msg, const gchar * id,
    gint64 serverseq, gint64 clientseq);

/* Parses one text frame sent by @sender. @len may be -1 for a
 * NUL-terminated string. Fails for frames over @max_size bytes (0 means
 * AH_MESSAGE_MAX_SIZE). Unknown types succeed as AH_MSG_UNKNOWN with only
 * the envelope filled in. A known type sent by the other role is parsed as
 * AH_MSG_UNKNOWN too (the session ignores it). */
AhMessage *ah_message_parse (const gchar * text, gssize len, AhRole sender,
    gsize max_size, GError ** error);

/* Writes @msg as JSON for @sender. The envelope uses id, seq and
 * serverseq/position (client) or clientseq (server) from @msg. */
gchar *ah_message_to_json (const AhMessage * msg, AhRole sender);

/* TRUE when @s is an RFC 4122 UUID (version nibble 1-5) or the null UUID. */
gboolean ah_uuid_is_valid (const gchar * s);

/* TRUE for a connection probe: null conversation and participant ids. */
gboolean ah_message_is_probe (const AhMessage * open);

/* TRUE when @msg is an event with an entity of @type (e.g. "barge_in"). */
gboolean ah_message_has_entity (const AhMessage * msg, const gchar * type);

G_END_DECLS

#endif /* __AH_MESSAGE_H__ */
