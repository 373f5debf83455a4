/*
 * dk_roles.h - the staff roles (SPEC section 1), defined once for the
 * server, the client, docketctl and the configuration: a bit each, and
 * the name that the database, the protocol and the command line use.
 * schema.sql's CHECK on staff.roles lists the same names; the migration
 * test compares them (test/unit/test_dk_roles.c reads schema.sql).
 */
#ifndef DK_ROLES_H
#define DK_ROLES_H

#include <stdbool.h>
#include <stddef.h>

/* X(ID, "name"), in the order the bits are given. */
#define DK_ROLES(X)                                                            \
    X(CONTENT, "content")                                                      \
    X(GRAPHICS, "graphics")                                                    \
    X(COORDINATOR, "coordinator")                                              \
    X(ADMIN, "admin")

enum dk_role_index {
#define DK_ROLE_INDEX_(id, name) DK_ROLE_INDEX_##id,
    DK_ROLES(DK_ROLE_INDEX_)
#undef DK_ROLE_INDEX_
        DK_NROLES
};

enum dk_role {
#define DK_ROLE_BIT_(id, name) DK_ROLE_##id = 1u << DK_ROLE_INDEX_##id,
    DK_ROLES(DK_ROLE_BIT_)
#undef DK_ROLE_BIT_
};

/* Names in bit order, NULL-terminated. */
extern const char *const dk_role_names[DK_NROLES + 1];

/* The bit of a role's name, or 0 for no role of that name. */
unsigned dk_role_parse(const char *name);
/* "content or admin" (joiner between names) for the bits set, into buf. */
const char *dk_role_list(unsigned roles, const char *joiner, char *buf,
                         size_t size);

#endif
