/*
 * page_register.c - registering from the emailed link (GET,POST
 * /register?token=T): the consent text and a password, then the contact
 * is logged in (account.c does the link's part).
 */
#include "portal_int.h"
#include "core.h"
#include "html.h"

static void register_form(struct preq *q, int status, const char *name,
                          const char *error)
{
    const struct dk_config *cfg = q->p->core->cfg;
    struct dk_buf b = DK_BUF_INIT(0);

    html_raw(&b, "<h1>");
    html_printf(&b, T(q, "Welcome to %s"),
                portal_setting(q, cfg->portal.title, "Customer Portal"));
    html_raw(&b, "</h1>\n");
    if (name && *name) {
        html_raw(&b, "<p>");
        html_printf(&b, T(q, "Hello %s, choose a password for your account."),
                    name);
        html_raw(&b, "</p>\n");
    }
    if (error)
        html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
    html_raw(&b, "<form class=\"stack\" method=\"post\" "
                 "action=\"/register?token=");
    html_url_arg(&b, portal_arg(q, "token"));
    html_raw(&b, "\">\n");
    portal_csrf_field(q, &b);
    portal_consent_fields(q, &b);
    portal_password_fields(q, &b, T(q, "Password"));
    html_printf(&b, "<button type=\"submit\">%s</button>\n</form>\n",
                T(q, "Create my account"));
    portal_page(q, status, T(q, "Register"), &b);
}

static const struct link_page registration = {
    "register",
    "SELECT portal_register(decode($1, 'hex'), $2)",
    FLASH_REGISTERED,
    true,
    true,
    register_form};

void page_register(struct preq *q)
{
    portal_link_get(q, &registration);
}

void page_register_post(struct preq *q)
{
    portal_link_post(q, &registration);
}
