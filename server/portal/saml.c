/*
 * saml.c - signing in with SAML (being written: until it lands, a
 * configured portal.saml refuses to start and its routes answer 404).
 */
#include "portal_int.h"
#include "core.h"
#include "dk_log.h"

bool portal_saml_init(struct portal *p)
{
    if (!p->core->cfg->portal.saml.idp_metadata[0])
        return true;
    dk_log(DK_LOG_ERROR, "portal.saml: not in this build yet");
    return false;
}

void portal_saml_free(struct portal *p)
{
    (void)p;
}

void page_saml_metadata(struct preq *q)
{
    portal_not_found(q);
}

void page_saml_login(struct preq *q)
{
    portal_not_found(q);
}

void page_saml_acs(struct preq *q)
{
    portal_not_found(q);
}
