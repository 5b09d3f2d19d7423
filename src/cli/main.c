/* placeholder until the CLI lands */
#include "util/util.h"
int main (void) { return 0; }
