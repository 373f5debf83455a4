/*
 * outcome.c - SQLSTATE to outcome, one table (outcome.h).
 */
#include "outcome.h"
#include "db.h"

#include <string.h>

static const struct sqlstate_row {
    const char *state; /* a whole SQLSTATE, or a two-character class */
    enum dk_outcome outcome;
    const char *message; /* NULL: the database's own message */
} sqlstate_rows[] = {
    {"DK400", DK_OUT_BAD_INPUT, NULL},
    {"DK403", DK_OUT_FORBIDDEN, NULL},
    {"DK404", DK_OUT_NOT_FOUND, NULL},
    {"DK409", DK_OUT_CONFLICT, NULL},
    {"DK422", DK_OUT_NOT_ALLOWED, NULL},
    {"DK429", DK_OUT_TOO_MANY, NULL},
    {"22001", DK_OUT_BAD_INPUT, "a value is too long"},
    {"22003", DK_OUT_BAD_INPUT, "a number is out of range"},
    {"22007", DK_OUT_BAD_INPUT, "a time is not in RFC 3339 form"},
    {"22008", DK_OUT_BAD_INPUT, "a time is out of range"},
    {"22P02", DK_OUT_BAD_INPUT, "a value has the wrong form"},
    {"23502", DK_OUT_BAD_INPUT, "a required value is missing"},
    {"23503", DK_OUT_NOT_FOUND, "it refers to something that does not exist"},
    {"23505", DK_OUT_CONFLICT, "it already exists"},
    {"23514", DK_OUT_BAD_INPUT, NULL},
    {"40001", DK_OUT_UNAVAILABLE,
     "a concurrent change got in the way; try again"},
    {"40P01", DK_OUT_UNAVAILABLE,
     "a concurrent change got in the way; try again"},
    {"25006", DK_OUT_UNAVAILABLE,
     "the database is read-only (a failover?); try again"},
    {"53300", DK_OUT_UNAVAILABLE, "the database has too many connections"},
    {"57P01", DK_OUT_UNAVAILABLE, "the database is shutting down"},
    {"57P02", DK_OUT_UNAVAILABLE, "the database is shutting down"},
    {"57P03", DK_OUT_UNAVAILABLE, "the database is starting up"},
    {"08", DK_OUT_UNAVAILABLE, "the database connection failed"},
};

struct db_outcome db_outcome_of_state(const char *state, const char *primary,
                                      const char *detail)
{
    struct db_outcome o = {DK_OUT_INTERNAL, "internal error (logged)", NULL,
                           state};

    for (size_t i = 0; i < sizeof(sqlstate_rows) / sizeof(*sqlstate_rows);
         i++) {
        const struct sqlstate_row *r = &sqlstate_rows[i];
        if (strncmp(state, r->state, strlen(r->state)) != 0)
            continue;
        o.outcome = r->outcome;
        o.message = r->message ? r->message : (primary ? primary : "error");
        if (r->outcome == DK_OUT_CONFLICT)
            o.detail = detail;
        return o;
    }
    return o;
}

struct db_outcome db_outcome(const PGresult *res)
{
    if (!res) {
        struct db_outcome o = {
            DK_OUT_UNAVAILABLE,
            "the database connection was lost; the change may not have "
            "been made: check and try again",
            NULL, ""};
        return o;
    }
    return db_outcome_of_state(db_sqlstate(res),
                               PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                               PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
}
