/* placeholder: being written */
#include "ah-signature.h"
