/* placeholder: being written */
#include "ah-message.h"
