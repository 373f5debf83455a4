/*
 * attach.h - saving and opening the attachments of the ticket on screen
 * (`s`, `O`): which one (asked when there are several), where to, then
 * fetched over attachments.get.
 */
#ifndef ATTACH_H
#define ATTACH_H

struct app;

void attach_save(struct app *a);
void attach_open(struct app *a);

#endif
