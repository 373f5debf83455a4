/*
 * oidc.c - signing in with OIDC (being written: until it lands, a
 * configured portal.oidc refuses to start and its routes answer 404).
 */
#include "portal_int.h"
#include "core.h"
#include "dk_log.h"

bool portal_oidc_init(struct portal *p)
{
    if (!p->core->cfg->portal.oidc.issuer[0])
        return true;
    dk_log(DK_LOG_ERROR, "portal.oidc: not in this build yet");
    return false;
}

void portal_oidc_free(struct portal *p)
{
    (void)p;
}

void page_oidc_login(struct preq *q)
{
    portal_not_found(q);
}

void page_oidc_callback(struct preq *q)
{
    portal_not_found(q);
}
