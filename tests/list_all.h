/* Every test group; each list_*.h holds TEST(name) lines of one area. */
#include "list_core.h"
#include "list_io.h"
#include "list_data.h"
#include "list_model.h"
#include "list_eval.h"
#include "list_real.h"
#include "list_score.h"
