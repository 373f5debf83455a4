/*
 * demo_data.h - the demo agency as data: its staff (every role), the
 * schools and their contacts, the requests they send, how many tickets
 * sit in each stage, and the texts of replies and notes.  Included by
 * cmd_demo.c alone, which turns it into a database; the tables stay
 * static so their sizes are constants there.
 */
#ifndef DEMO_DATA_H
#define DEMO_DATA_H

#include <stdbool.h>

#include "dk_roles.h"

static const struct demo_staff {
    const char *username, *name, *email, *roles;
    int role;
} demo_staff[] = {
    {"kari", "Kari Nordmann", "kari@webbyra.example", "{content}",
     DK_ROLE_CONTENT},
    {"daan", "Daan de Vries", "daan@webbyra.example", "{content}",
     DK_ROLE_CONTENT},
    {"emma", "Emma Clarke", "emma@webbyra.example", "{content,coordinator}",
     DK_ROLE_CONTENT | DK_ROLE_COORDINATOR},
    {"lars", "Lars Øvergård", "lars@webbyra.example", "{graphics}",
     DK_ROLE_GRAPHICS},
    {"sanne", "Sanne Ĳzerman", "sanne@webbyra.example", "{graphics}",
     DK_ROLE_GRAPHICS},
    {"pat", "Pat Morgan", "pat@webbyra.example", "{coordinator}",
     DK_ROLE_COORDINATOR},
    {"ingrid", "Ingrid Håland", "ingrid@webbyra.example", "{admin,content}",
     DK_ROLE_ADMIN | DK_ROLE_CONTENT},
};
#define NSTAFF (sizeof(demo_staff) / sizeof(demo_staff[0]))
/* The staff member mapped to the Unix user that runs the demo. */
#define PEER_STAFF 0
/* The contact who has registered for the portal already (a list member). */
#define PORTAL_CONTACT 0

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

#endif
