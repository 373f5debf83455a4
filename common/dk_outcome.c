/*
 * dk_outcome.c - the outcome table of dk_outcome.h.
 */
#include "dk_outcome.h"

static const struct {
    int rpc, http;
} outcomes[DK_NOUTCOMES] = {
#define DK_OUTCOME_ROW_(id, rpc, http) [DK_OUT_##id] = {rpc, http},
    DK_OUTCOMES(DK_OUTCOME_ROW_)
#undef DK_OUTCOME_ROW_
};

int dk_outcome_rpc_code(enum dk_outcome o)
{
    return (unsigned)o < DK_NOUTCOMES ? outcomes[o].rpc
                                      : outcomes[DK_OUT_INTERNAL].rpc;
}

int dk_outcome_http_status(enum dk_outcome o)
{
    return (unsigned)o < DK_NOUTCOMES ? outcomes[o].http
                                      : outcomes[DK_OUT_INTERNAL].http;
}

enum dk_outcome dk_outcome_of_rpc_code(int code)
{
    for (int i = 0; i < DK_NOUTCOMES; i++)
        if (outcomes[i].rpc == code)
            return (enum dk_outcome)i;
    return DK_OUT_INTERNAL;
}
