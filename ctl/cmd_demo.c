/*
 * cmd_demo.c - docketctl demo-data: a believable agency in one
 * transaction.  Staff covering every role (one mapped to the Unix user
 * running it, for peer login), ten schools, thirty contacts, and two
 * hundred tickets spread over every pipeline, stage and priority, each
 * with the conversation, notes, mentions, tasks and timeline that its
 * stage implies, dated over the last sixty days.  A fixed seed makes
 * every demo database the same; a database with staff or tickets already
 * is refused, so running it twice never makes a mess.
 */
#include "ctl.h"
#include "dk_secret.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEMO_PASSWORD "docket-demo"
#define DAY           (24 * 3600LL)

enum { R_CONTENT = 1, R_GRAPHICS = 2, R_COORD = 4, R_ADMIN = 8 };

static const struct demo_staff {
    const char *username, *name, *email, *roles;
    int role;
} demo_staff[] = {
    {"kari", "Kari Nordmann", "kari@webbyra.example", "{content}", R_CONTENT},
    {"daan", "Daan de Vries", "daan@webbyra.example", "{content}", R_CONTENT},
    {"emma", "Emma Clarke", "emma@webbyra.example", "{content,coordinator}",
     R_CONTENT | R_COORD},
    {"lars", "Lars Øvergård", "lars@webbyra.example", "{graphics}", R_GRAPHICS},
    {"sanne", "Sanne Ĳzerman", "sanne@webbyra.example", "{graphics}",
     R_GRAPHICS},
    {"pat", "Pat Morgan", "pat@webbyra.example", "{coordinator}", R_COORD},
    {"ingrid", "Ingrid Håland", "ingrid@webbyra.example", "{admin,content}",
     R_ADMIN | R_CONTENT},
};
#define NSTAFF (sizeof(demo_staff) / sizeof(demo_staff[0]))
/* The staff member mapped to the Unix user that runs the demo. */
#define PEER_STAFF 0

static const struct demo_company {
    const char *name, *website;
} demo_companies[] = {
    {"Nordlys skole", "https://nordlys-skole.example.no"},
    {"Fjellheim barneskole", "https://fjellheim.example.no"},
    {"Bjørkelund ungdomsskole", "https://bjorkelund.example.no"},
    {"Basisschool De Regenboog", "https://deregenboog.example.nl"},
    {"Het Ĳsselcollege", "https://ijsselcollege.example.nl"},
    {"Sint-Jozefschool", "https://sintjozef.example.be"},
    {"Riverside Primary School", "https://riverside-primary.example.org"},
    {"Oakwood Academy", "https://oakwood-academy.example.org"},
    {"Maple Grove Middle School", "https://maplegrove.example.org"},
    {"Lakeview High School", "https://lakeview-high.example.org"},
};
#define NCOMPANIES (sizeof(demo_companies) / sizeof(demo_companies[0]))

static const struct demo_contact {
    const char *first, *last, *email, *title, *phone;
    int company;
} demo_contacts[] = {
    {"Øystein", "Brå", "oystein.bra@nordlys-skole.example.no", "Rektor",
     "+47 712 34 567", 0},
    {"Åsa", "Lindqvist", "asa.lindqvist@nordlys-skole.example.no",
     "Kontorleder", "+47 712 34 568", 0},
    {"Siri", "Sæther", "siri.saether@nordlys-skole.example.no", "Lærer", NULL,
     0},
    {"Bjørn", "Åsheim", "bjorn.asheim@fjellheim.example.no", "Rektor",
     "+47 553 21 900", 1},
    {"Marit", "Ødegård", "marit.odegard@fjellheim.example.no",
     "Administrasjonskonsulent", "+47 553 21 901", 1},
    {"Håkon", "Løvlie", "hakon.lovlie@fjellheim.example.no", "IKT-ansvarlig",
     NULL, 1},
    {"Ingvild", "Kråkenes", "ingvild.krakenes@bjorkelund.example.no",
     "Inspektør", "+47 901 22 334", 2},
    {"Trond", "Hæhre", "trond.haehre@bjorkelund.example.no", "Lærer", NULL, 2},
    {"Sigrid", "Fjærli", "sigrid.fjaerli@bjorkelund.example.no",
     "Kontormedarbeider", "+47 901 22 335", 2},
    {"Pieter", "van den Berg", "p.vandenberg@deregenboog.example.nl",
     "Directeur", "+31 20 555 0101", 3},
    {"Anouk", "Jansen", "a.jansen@deregenboog.example.nl",
     "Administratief medewerker", "+31 20 555 0102", 3},
    {"Sébastien", "Dubois", "s.dubois@deregenboog.example.nl", "Leerkracht",
     NULL, 3},
    {"Ĳsbrand", "de Jong", "i.dejong@ijsselcollege.example.nl", "Rector",
     "+31 38 555 0200", 4},
    {"Femke", "Bakker", "f.bakker@ijsselcollege.example.nl",
     "Communicatiemedewerker", "+31 38 555 0201", 4},
    {"Joëlle", "Visser", "j.visser@ijsselcollege.example.nl", "Docent", NULL,
     4},
    {"Lotte", "Peeters", "lotte.peeters@sintjozef.example.be", "Directeur",
     "+32 3 555 03 00", 5},
    {"Thijs", "Maes", "thijs.maes@sintjozef.example.be", "ICT-coördinator",
     NULL, 5},
    {"Renée", "Claes", "renee.claes@sintjozef.example.be", "Secretariaat",
     "+32 3 555 03 01", 5},
    {"Margaret", "Hughes", "mhughes@riverside-primary.example.org",
     "Head Teacher", "+44 161 555 0140", 6},
    {"Daniel", "Okafor", "dokafor@riverside-primary.example.org",
     "Office Manager", "+44 161 555 0141", 6},
    {"Chloé", "Martin", "cmartin@riverside-primary.example.org",
     "Year 4 Teacher", NULL, 6},
    {"James", "Whitfield", "jwhitfield@oakwood-academy.example.org",
     "Principal", "+1 503 555 0188", 7},
    {"Priya", "Raman", "praman@oakwood-academy.example.org",
     "Communications Coordinator", "+1 503 555 0189", 7},
    {"Tom", "Becker", "tbecker@oakwood-academy.example.org",
     "Athletics Director", NULL, 7},
    {"Linda", "Nguyen", "lnguyen@maplegrove.example.org", "Principal",
     "+1 614 555 0120", 8},
    {"Marcus", "Bell", "mbell@maplegrove.example.org", "Front Office", NULL, 8},
    {"Rosa", "Álvarez", "ralvarez@maplegrove.example.org", "Librarian", NULL,
     8},
    {"Karen", "O'Neill", "koneill@lakeview-high.example.org",
     "Assistant Principal", "+1 608 555 0177", 9},
    {"Ahmed", "Haddad", "ahaddad@lakeview-high.example.org",
     "Webmaster (teacher)", NULL, 9},
    {"Zoë", "Fischer", "zfischer@lakeview-high.example.org", "Registrar",
     "+1 608 555 0178", 9},
};
#define NCONTACTS (sizeof(demo_contacts) / sizeof(demo_contacts[0]))

/* Requests as the schools send them; graphics ones need an image made. */
static const struct demo_request {
    const char *subject, *description;
    bool graphics;
} demo_requests[] = {
    {"Update the lunch menu for next week",
     "Hi! Could you replace the lunch menu on the Parents page with the "
     "attached one for next week? Thanks!",
     false},
    {"Add our new teacher to the staff page",
     "We have a new teacher starting on Monday. Name, subject and photo are "
     "attached. Please add her under Teaching Staff.",
     false},
    {"Replace the banner image on the home page",
     "The autumn banner is still up. Could we get something wintery? Photos "
     "from our playground are attached.",
     true},
    {"Post photos from the winter concert",
     "The concert was a big success! Could you make a gallery with the best "
     "photos (attached) and a short news post?",
     true},
    {"Broken link in the parent handbook",
     "The link to the parent handbook on the Families page gives a 404.",
     false},
    {"Upload the updated school calendar",
     "Attached is the new calendar PDF. Please replace the old one everywhere "
     "it is linked.",
     false},
    {"Change the office phone number in the footer",
     "Our office number has changed. The new one is in my signature. It needs "
     "to change in the footer and on Contact us.",
     false},
    {"Add a news post about the science fair",
     "Text is below. Please publish it on Friday morning, not before.", false},
    {"Remove the summer camp announcement",
     "The summer camp is over; please take the announcement down.", false},
    {"Create a page for the new after-school programme",
     "We are starting an after-school programme in January. Could we have a "
     "page under Activities with the text and sign-up form link below?",
     false},
    {"Update the bus schedule",
     "Route 3 has new times from next month. The new timetable is attached.",
     false},
    {"Fix the typo on the About us page",
     "Second paragraph: 'principle' should be 'principal'.", false},
    {"Add the board meeting minutes",
     "Minutes from Tuesday's board meeting are attached. They go under "
     "Governance.",
     false},
    {"New logo for the sports team page",
     "The teams voted for a new mascot! Could your designers draw a logo "
     "from the sketch attached?",
     true},
    {"Emergency closure notice on the home page",
     "We are closed tomorrow because of the storm. Please put a notice at "
     "the very top of the home page as soon as possible.",
     false},
    {"Update the enrolment form link",
     "The enrolment form has moved. New link is below.", false},
    {"Photo gallery for Sports Day",
     "We have about 40 photos from Sports Day. Could you pick the best and "
     "make a gallery? Only pupils with photo consent, list attached.",
     true},
    {"Change the principal's welcome letter",
     "Our new principal has written a new welcome letter (attached).", false},
    {"Alt text missing on home page images",
     "A parent using a screen reader told us the images on the home page "
     "have no descriptions. Could you add them?",
     false},
    {"Add the PTA contact details",
     "Please add the new PTA chair and her email to the Parents page.", false},
    {"Infographic for the reading challenge",
     "We would love an infographic showing how many books each class has "
     "read this term. Numbers attached.",
     true},
    {"Translate the admissions page",
     "We have the translation of the admissions page ready (attached). Can "
     "it go on a second language version of the page?",
     false},
    {"Move the calendar above the news",
     "Parents look for dates first. Could the calendar widget go above the "
     "news list on the home page?",
     false},
    {"Flyer image for the book fair",
     "Could you make a flyer-style image for the book fair on the 12th? "
     "We'd like it on the home page slider.",
     true},
    {"Replace headshots on the leadership page",
     "New headshots from picture day are attached, please swap them in.", true},
    {"Holiday greeting banner",
     "Could we have a festive banner with 'Happy holidays from all of us' "
     "for the last two weeks of term?",
     true},
    {"Add next school year's dates",
     "Term dates for next year are approved. Attached as a spreadsheet.",
     false},
    {"Link the lunch payment portal",
     "Please add a big button 'Pay for lunches' linking to the payment site.",
     false},
    {"Update the illness policy page",
     "The policy has been revised, new text attached. Please replace all of "
     "it.",
     false},
    {"Staff email addresses are out of date",
     "Three teachers have left and two have joined. List attached.", false},
};
#define NREQUESTS (sizeof(demo_requests) / sizeof(demo_requests[0]))

/* How many tickets sit in each pipeline and stage. */
static const struct demo_bucket {
    const char *pipeline, *stage;
    int count;
} demo_buckets[] = {
    {"support", "new", 30},
    {"support", "in_progress", 40},
    {"support", "waiting_on_contact", 20},
    {"support", "closed", 55},
    {"graphics", "waiting_on_graphics", 20},
    {"graphics", "graphics_in_progress", 18},
    {"graphics", "graphics_complete", 17},
};

static const char *const replies[] = {
    "Hi %s, thanks for your request. I'm on it and will let you know when "
    "it is live.",
    "Hi %s, could you send the file as a PDF? The one attached will not "
    "open on our side.",
    "Hi %s, quick question: should this replace the old version, or go "
    "next to it?",
    "Hi %s, this is done now. Have a look and tell me if anything should "
    "change.",
};

static const char *const client_followups[] = {
    "Thank you so much!",
    "Here is the PDF, sorry about that.",
    "Please replace the old one.",
    "Looks great, thanks!",
};

static const char *const plain_notes[] = {
    "Called %s to confirm the dates; all good.",
    "Waiting for the files from the school office.",
    "Their CMS login works again, it was a cache issue.",
    "Checked on mobile too, the layout holds up.",
};

/* A deterministic generator, so every demo database is the same. */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* Ring of buffers for numbers passed as text parameters. */
static const char *num(long long v)
{
    static char ring[32][24];
    static unsigned next;
    char *b = ring[next++ % 32];

    snprintf(b, 24, "%lld", v);
    return b;
}

static PGresult *vrun(struct ctl *c, const char *sql, int n, va_list ap)
{
    const char *params[16];

    for (int i = 0; i < n && i < 16; i++)
        params[i] = va_arg(ap, const char *);
    return ctl_exec(c, sql, n, params, NULL, NULL);
}

/* Run sql with exactly n text parameters (NULL is SQL NULL). */
static PGresult *run(struct ctl *c, const char *sql, int n, ...)
{
    PGresult *res;
    va_list ap;

    va_start(ap, n);
    res = vrun(c, sql, n, ap);
    va_end(ap);
    return res;
}

/* Same, for statements whose result is not needed; 0 or 1 (printed). */
static int run0(struct ctl *c, const char *sql, int n, ...)
{
    PGresult *res;
    va_list ap;

    va_start(ap, n);
    res = vrun(c, sql, n, ap);
    va_end(ap);
    if (!res)
        return 1;
    PQclear(res);
    return 0;
}

struct demo {
    struct ctl *c;
    long long staff_id[NSTAFF];
    long long company_id[NCOMPANIES];
    long long contact_id[NCONTACTS];
    long long now;
    int tickets, notes, messages, tasks, events;
};

static int pick_staff(int role)
{
    for (;;) {
        int i = (int)rnd(NSTAFF);
        if (demo_staff[i].role & role)
            return i;
    }
}

static int add_event(struct demo *d, long long ticket, const char *type,
                     const char *action, const char *by, const char *contact,
                     const char *change, long long at)
{
    at = at < d->now ? at : d->now - 1;
    d->events++;
    return run0(d->c,
                "INSERT INTO event (type, action, ticket_id, staff_id, "
                "contact_id, change, created_at) "
                "VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, "
                "$6::jsonb, to_timestamp($7::double precision))",
                7, type, action, num(ticket), by, contact, change, num(at));
}

static int add_message(struct demo *d, long long ticket, bool out,
                       const char *staff, const char *contact, const char *body,
                       long long at)
{
    at = at < d->now ? at : d->now - 1;
    d->messages++;
    if (run0(d->c,
             "INSERT INTO message (ticket_id, direction, author_staff_id, "
             "author_contact_id, body, created_at, message_id) "
             "VALUES ($1::bigint, $2, $3::bigint, $4::bigint, $5, "
             "to_timestamp($6::double precision), "
             "'<demo-' || $1 || '-' || $6 || '@docket.example>')",
             6, num(ticket), out ? "out" : "in", out ? staff : NULL,
             out ? NULL : contact, body, num(at)))
        return 1;
    return add_event(d, ticket, "ticket.changed",
                     out ? "message_sent" : "message_received",
                     out ? staff : NULL, out ? NULL : contact, "{}", at);
}

/* A note, with its mention and the mentioned person's notification. */
static int add_note(struct demo *d, long long ticket, int author, int mentioned,
                    const char *body, long long at)
{
    PGresult *res;
    long long note;

    at = at < d->now ? at : d->now - 1;
    d->notes++;
    res = run(d->c,
              "INSERT INTO note (ticket_id, author_id, body, created_at) "
              "VALUES ($1::bigint, $2::bigint, $3, "
              "to_timestamp($4::double precision)) RETURNING id",
              4, num(ticket), num(d->staff_id[author]), body, num(at));
    if (!res)
        return 1;
    note = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (add_event(d, ticket, "ticket.changed", "note_added",
                  num(d->staff_id[author]), NULL, "{}", at))
        return 1;
    if (mentioned < 0)
        return 0;
    if (run0(d->c,
             "INSERT INTO mention (note_id, staff_id) "
             "VALUES ($1::bigint, $2::bigint)",
             2, num(note), num(d->staff_id[mentioned])))
        return 1;
    res = run(d->c,
              "INSERT INTO notification (staff_id, kind, ticket_id, note_id, "
              "by_staff_id, created_at, read_at) "
              "VALUES ($1::bigint, 'mention', $2::bigint, $3::bigint, "
              "$4::bigint, to_timestamp($5::double precision), "
              "CASE WHEN $6 THEN to_timestamp($5::double precision) + "
              "interval '1 hour' END) RETURNING id",
              6, num(d->staff_id[mentioned]), num(ticket), num(note),
              num(d->staff_id[author]), num(at), rnd(3) ? "true" : "false");
    if (!res)
        return 1;
    d->events++;
    if (run0(d->c,
             "INSERT INTO event (type, action, ticket_id, staff_id, "
             "for_staff_id, notification_id, created_at) "
             "VALUES ('notification', 'notified', $1::bigint, $2::bigint, "
             "$3::bigint, $4::bigint, to_timestamp($5::double precision))",
             5, num(ticket), num(d->staff_id[author]),
             num(d->staff_id[mentioned]), PQgetvalue(res, 0, 0), num(at))) {
        PQclear(res);
        return 1;
    }
    PQclear(res);
    return 0;
}

static const char *change2(char *buf, size_t size, const char *k1,
                           const char *a1, const char *b1, const char *k2,
                           const char *a2, const char *b2)
{
    int n = snprintf(buf, size, "{\"%s\": [%s, %s]", k1, a1, b1);

    if (k2)
        n += snprintf(buf + n, size - (size_t)n, ", \"%s\": [%s, %s]", k2, a2,
                      b2);
    snprintf(buf + n, size - (size_t)n, "}");
    return buf;
}

static const char *q(const char *s)
{
    static char ring[8][64];
    static unsigned next;
    char *b = ring[next++ % 8];

    if (!s)
        return "null";
    snprintf(b, 64, "\"%s\"", s);
    return b;
}

/* One ticket with the whole history its final stage implies. */
static int add_ticket(struct demo *d, const struct demo_bucket *b)
{
    static const char *const prio[] = {"high",   "medium", "medium", "low",
                                       "medium", "low",    "high",   "medium"};
    static const char *const sources[] = {"portal", "portal", "email",
                                          "email",  "phone",  "form"};
    bool graphics_stage = !strcmp(b->pipeline, "graphics");
    bool closed = !strcmp(b->stage, "closed");
    bool claimed = strcmp(b->stage, "new") != 0;
    bool via_graphics = graphics_stage || (closed && rnd(3) == 0);
    const struct demo_request *req;
    const struct demo_contact *ct;
    int contact = (int)rnd(NCONTACTS), owner = -1, gowner = -1;
    const char *source = sources[rnd(6)];
    long long created, t, age_days;
    char change[256], body[512];
    int version = 1;
    long long id;
    PGresult *res;

    do
        req = &demo_requests[rnd(NREQUESTS)];
    while (req->graphics != via_graphics);
    ct = &demo_contacts[contact];
    /* Closed tickets are older on the whole; new ones recent. */
    age_days = closed ? 5 + rnd(55) : claimed ? 1 + rnd(40) : rnd(14);
    created = d->now - age_days * DAY - rnd(20 * 3600);
    t = created;

    if (claimed)
        owner = pick_staff(R_CONTENT);
    if (!strcmp(b->stage, "graphics_in_progress") ||
        !strcmp(b->stage, "graphics_complete") || (closed && via_graphics))
        gowner = pick_staff(R_GRAPHICS);

    res = run(d->c,
              "INSERT INTO ticket (subject, description, priority, pipeline, "
              "stage, owner_id, graphics_owner_id, contact_id, company_id, "
              "source, created_at, updated_at, last_activity_at) "
              "VALUES ($1, $2, $3, 'support', 'new', NULL, NULL, $4::bigint, "
              "$5::bigint, $6, to_timestamp($7::double precision), "
              "to_timestamp($7::double precision), "
              "to_timestamp($7::double precision)) RETURNING id",
              7, req->subject, req->description, prio[rnd(8)],
              num(d->contact_id[contact]), num(d->company_id[ct->company]),
              source, num(created));
    if (!res)
        return 1;
    id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    d->tickets++;

    snprintf(change, sizeof(change), "{\"source\": \"%s\"}", source);
    if (add_event(d, id, "ticket.created", "created",
                  strcmp(source, "phone")
                      ? NULL
                      : num(d->staff_id[pick_staff(R_CONTENT)]),
                  strcmp(source, "phone") ? num(d->contact_id[contact]) : NULL,
                  change, t))
        return 1;
    if (strcmp(source, "phone") &&
        add_message(d, id, false, NULL, num(d->contact_id[contact]),
                    req->description, t))
        return 1;
    if (rnd(4) == 0 &&
        run0(d->c,
             "INSERT INTO attachment (ticket_id, filename, content_type, "
             "size, sha256, content, created_at) "
             "SELECT $1::bigint, $2, 'text/plain', length(b), sha256(b), b, "
             "to_timestamp($4::double precision) "
             "FROM convert_to($3, 'UTF8') AS b",
             4, num(id), "details.txt", req->description, num(t)))
        return 1;

    if (claimed) {
        t += 600 + rnd(8 * 3600);
        if (add_event(d, id, "ticket.changed", "claimed",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "owner", "null",
                              q(demo_staff[owner].username), "stage", q("new"),
                              q("in_progress")),
                      t))
            return 1;
        version++;
        if (rnd(2) || !strcmp(b->stage, "waiting_on_contact") || closed) {
            t += 300 + rnd(3600);
            snprintf(body, sizeof(body), replies[rnd(4)], ct->first);
            if (add_message(d, id, true, num(d->staff_id[owner]), NULL, body,
                            t))
                return 1;
            version++;
            if (rnd(2) && strcmp(b->stage, "waiting_on_contact")) {
                t += 600 + rnd(6 * 3600);
                if (add_message(d, id, false, NULL, num(d->contact_id[contact]),
                                client_followups[rnd(4)], t))
                    return 1;
                version++;
            }
        }
        if (rnd(3) == 0) {
            t += 300 + rnd(3600);
            snprintf(body, sizeof(body), plain_notes[rnd(4)], ct->first);
            if (add_note(d, id, owner, -1, body, t))
                return 1;
            version++;
        }
    }
    if (via_graphics) {
        int artist = gowner >= 0 ? gowner : pick_staff(R_GRAPHICS);
        t += 600 + rnd(4 * 3600);
        snprintf(body, sizeof(body),
                 "@%s could you make this? 1920×600 for the banner slot; the "
                 "school's photos are in the attachment.",
                 demo_staff[artist].username);
        if (add_note(d, id, owner, artist, body, t))
            return 1;
        t += 60 + rnd(600);
        if (add_event(d, id, "ticket.changed", "handed_to_graphics",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "pipeline", q("support"),
                              q("graphics"), "stage", q("in_progress"),
                              q("waiting_on_graphics")),
                      t))
            return 1;
        version += 2;
        if (gowner >= 0) {
            t += 1800 + rnd(DAY);
            if (add_event(d, id, "ticket.changed", "graphics_claimed",
                          num(d->staff_id[gowner]), NULL,
                          change2(change, sizeof(change), "graphics_owner",
                                  "null", q(demo_staff[gowner].username),
                                  "stage", q("waiting_on_graphics"),
                                  q("graphics_in_progress")),
                          t))
                return 1;
            version++;
        }
        if (!strcmp(b->stage, "graphics_complete") || closed) {
            t += 3600 + rnd(2 * DAY);
            if (add_event(d, id, "ticket.changed", "graphics_completed",
                          num(d->staff_id[gowner]), NULL,
                          change2(change, sizeof(change), "stage",
                                  q("graphics_in_progress"),
                                  q("graphics_complete"), NULL, NULL, NULL),
                          t))
                return 1;
            version++;
        }
    }
    if (!strcmp(b->stage, "waiting_on_contact")) {
        t += 60;
        if (add_event(d, id, "ticket.changed", "stage_set",
                      num(d->staff_id[owner]), NULL,
                      change2(change, sizeof(change), "stage", q("in_progress"),
                              q("waiting_on_contact"), NULL, NULL, NULL),
                      t))
            return 1;
        version++;
    }
    if (closed) {
        t += 1800 + rnd(2 * DAY);
        if (add_event(
                d, id, "ticket.changed", "closed", num(d->staff_id[owner]),
                NULL,
                change2(change, sizeof(change), "pipeline",
                        q(via_graphics ? "graphics" : "support"), q("support"),
                        "stage",
                        q(via_graphics ? "graphics_complete" : "in_progress"),
                        q("closed")),
                t))
            return 1;
        version++;
    }
    if (!strcmp(b->stage, "in_progress") && rnd(2) == 0) {
        d->tasks++;
        if (run0(d->c,
                 "INSERT INTO task (ticket_id, staff_id, created_by, title, "
                 "due_at, remind_at, created_at) "
                 "VALUES ($1::bigint, $2::bigint, $2::bigint, $3, "
                 "to_timestamp($4::double precision), "
                 "to_timestamp($4::double precision) - interval '2 hours', "
                 "to_timestamp($5::double precision))",
                 5, num(id), num(d->staff_id[owner]),
                 rnd(2) ? "Take the notice down again"
                        : "Check with the "
                          "school that it "
                          "looks right",
                 num(d->now + (long long)rnd(14) * DAY - 3 * DAY), num(t)))
            return 1;
        if (add_event(d, id, "ticket.changed", "task_added",
                      num(d->staff_id[owner]), NULL, "{}", t))
            return 1;
        version++;
    }
    if (t > d->now)
        t = d->now - rnd(3600);
    return run0(d->c,
                "UPDATE ticket SET pipeline = $2, stage = $3, "
                "owner_id = $4::bigint, graphics_owner_id = $5::bigint, "
                "updated_at = to_timestamp($6::double precision), "
                "last_activity_at = to_timestamp($6::double precision), "
                "closed_at = CASE WHEN $3 = 'closed' "
                "  THEN to_timestamp($6::double precision) END, "
                "version = $7::int WHERE id = $1::bigint",
                7, num(id), b->pipeline, b->stage,
                owner >= 0 ? num(d->staff_id[owner]) : NULL,
                gowner >= 0 ? num(d->staff_id[gowner]) : NULL, num(t),
                num(version));
}

struct demo_opts {
    const char *unix_user;
    bool password_stdin;
};

static int demo_opt(struct ctl *c, int opt, const char *val, void *arg)
{
    struct demo_opts *o = arg;

    if (opt == 'u')
        o->unix_user = val;
    else if (opt == 'p')
        o->password_stdin = true;
    return 0;
}

static int load(struct demo *d, const char *unix_user, const char *hash)
{
    PGresult *res;

    res = run(d->c,
              "SELECT (SELECT count(*) FROM staff), "
              "(SELECT count(*) FROM ticket), (SELECT count(*) FROM contact)",
              0);
    if (!res)
        return 1;
    if (strcmp(PQgetvalue(res, 0, 0), "0") ||
        strcmp(PQgetvalue(res, 0, 1), "0") ||
        strcmp(PQgetvalue(res, 0, 2), "0")) {
        ctl_fail(d->c,
                 "the database already holds data (%s staff, %s contacts, %s "
                 "tickets); demo data only goes into an empty database",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2),
                 PQgetvalue(res, 0, 1));
        PQclear(res);
        return 1;
    }
    PQclear(res);

    for (size_t i = 0; i < NSTAFF; i++) {
        const struct demo_staff *s = &demo_staff[i];
        res = run(d->c,
                  "INSERT INTO staff (username, name, email, roles, "
                  "password_hash, unix_user) "
                  "VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING id",
                  6, s->username, s->name, s->email, s->roles, hash,
                  i == PEER_STAFF ? unix_user : NULL);
        if (!res)
            return 1;
        d->staff_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    for (size_t i = 0; i < NCOMPANIES; i++) {
        const struct demo_company *co = &demo_companies[i];
        res = run(d->c,
                  "INSERT INTO company (name, website, domain) "
                  "VALUES ($1, $2, substring($2 from '^https?://([^/]+)')) "
                  "RETURNING id",
                  2, co->name, co->website);
        if (!res)
            return 1;
        d->company_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    for (size_t i = 0; i < NCONTACTS; i++) {
        const struct demo_contact *ct = &demo_contacts[i];
        res = run(d->c,
                  "INSERT INTO contact (email, first_name, last_name, title, "
                  "phone, company_id, cloudfront_domain, created_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6::bigint, "
                  "  (SELECT 'd' || substr(md5(domain), 1, 13) || "
                  "          '.cloudfront.net' FROM company "
                  "    WHERE id = $6::bigint), "
                  "  now() - interval '90 days') RETURNING id",
                  6, ct->email, ct->first, ct->last, ct->title, ct->phone,
                  num(d->company_id[ct->company]));
        if (!res)
            return 1;
        d->contact_id[i] = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
        /* Two in three contacts may use the portal. */
        if (i % 3 != 2 && run0(d->c,
                               "INSERT INTO list_member (list_id, contact_id) "
                               "SELECT id, $1::bigint FROM list "
                               "WHERE name = 'Authorized Portal Users'",
                               1, num(d->contact_id[i])))
            return 1;
    }
    for (size_t b = 0; b < sizeof(demo_buckets) / sizeof(demo_buckets[0]); b++)
        for (int i = 0; i < demo_buckets[b].count; i++)
            if (add_ticket(d, &demo_buckets[b]))
                return 1;
    return 0;
}

int ctl_demo_data(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"unix-user", required_argument, NULL, 'u'},
        {"password-stdin", no_argument, NULL, 'p'},
        {0}};
    struct demo_opts o = {0};
    struct demo d = {.c = c};
    char *pos[1], hash[DK_PASS_HASH_MAX], *pw = NULL;
    struct passwd *pwd;
    const char *password = DEMO_PASSWORD;

    if (ctl_getopt(c, argc, argv, argv[0], opts, pos, 0, demo_opt, &o) < 0)
        return 2;
    if (!o.unix_user) {
        pwd = getpwuid(geteuid());
        o.unix_user = pwd ? pwd->pw_name : NULL;
    }
    if (!ctl_db(c))
        return 1;
    if (o.password_stdin) {
        if (!(pw = ctl_read_password(c, false)))
            return 1;
        password = pw;
    }
    if (dk_pass_hash(password, hash) != 0) {
        free(pw);
        return ctl_fail(c, "could not hash the password: out of memory");
    }
    free(pw);
    d.now = (long long)time(NULL);
    if (ctl_begin(c))
        return 1;
    if (load(&d, o.unix_user, hash)) {
        ctl_rollback(c);
        return 1;
    }
    if (ctl_commit(c))
        return 1;

    printf("Demo data loaded: %zu staff, %zu schools, %zu contacts, %d "
           "tickets, %d messages, %d notes, %d tasks, %d timeline events.\n",
           NSTAFF, NCOMPANIES, NCONTACTS, d.tickets, d.messages, d.notes,
           d.tasks, d.events);
    printf("Staff (password \"%s\"):\n",
           o.password_stdin ? "as given" : DEMO_PASSWORD);
    for (size_t i = 0; i < NSTAFF; i++) {
        if (i == PEER_STAFF && o.unix_user)
            printf("  %-7s %s, %s, Unix user %s\n", demo_staff[i].username,
                   demo_staff[i].name, demo_staff[i].roles, o.unix_user);
        else
            printf("  %-7s %s, %s\n", demo_staff[i].username,
                   demo_staff[i].name, demo_staff[i].roles);
    }
    if (o.unix_user)
        printf("%s logs in as Kari by peer credentials.\n", o.unix_user);
    return 0;
}
