/*
 * outcome.h - what a database result means for the request that made it:
 * a SQLSTATE (Docket's own DK4xx raised by the rules in schema.sql, or
 * PostgreSQL's) becomes a dk_outcome and the message to show, from one
 * table shared by every transport.
 */
#ifndef OUTCOME_H
#define OUTCOME_H

#include <libpq-fe.h>

#include "dk_outcome.h"

struct db_outcome {
    enum dk_outcome outcome;
    const char *message; /* points into res or a static string */
    const char *detail;  /* a conflict's JSON (the current ticket), or NULL */
    const char *state;   /* the SQLSTATE, "" when res is NULL */
};

/*
 * The outcome of a failed result (res NULL: the connection was lost, and
 * a write may or may not have been made).  DK_OUT_INTERNAL for a SQLSTATE
 * no table row names: the caller logs it.
 */
struct db_outcome db_outcome(const PGresult *res);
/* The same from a result's fields: state (never NULL), its primary
 * message and detail (either may be NULL). */
struct db_outcome db_outcome_of_state(const char *state, const char *primary,
                                      const char *detail);

#endif
