/* placeholder: being written */
#include "ah-session.h"
