/*
 * db_query.h - what a submitted query is, shared by the pool (db.c), the
 * query builder (db_query.c) and tests that stand in for the pool.
 * Everyone else uses db.h's functions only.
 */
#ifndef DB_QUERY_H
#define DB_QUERY_H

#include "db.h"

#include <stdbool.h>
#include <stdint.h>

struct db_query {
    char *sql;
    bool prepared; /* run as a named prepared statement */
    uint64_t hash; /* of sql: the statement's name */
    int nparams;
    char **params; /* owned copies */
    int *lengths;  /* NULL, or each binary parameter's length */
    int *formats;  /* NULL, or 1 for each binary parameter */
    db_query_cb cb;
    void *arg;
    struct db_query *next;
};

#endif
