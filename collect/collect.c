/* collect.c - what every collector shares (collect.h). */
#include "collect.h"
