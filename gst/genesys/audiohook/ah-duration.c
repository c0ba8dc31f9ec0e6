/* placeholder: being written */
#include "ah-duration.h"
