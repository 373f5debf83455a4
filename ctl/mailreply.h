/*
 * mailreply.h - what is new in an emailed answer: the text above the
 * quoted message it answers.  Used for a staff member's answer to a
 * notification, which becomes a note: the quoted notification (a note's
 * "@name" among it) must not be noted, or mention anyone, again.
 */
#ifndef MAILREPLY_H
#define MAILREPLY_H

/*
 * body without the message it quotes: lines beginning with '>', the
 * attribution line just above them ("On ... wrote:", "... skrev:",
 * "... schreef ...:"), and everything from an Outlook header block
 * ("-----Original Message-----", or "From:"/"Fra:"/"Van:" followed by a
 * "Sent:"/"Sendt:"/"Verzonden:"/"Date:" line) on.  Returns a new string
 * (LF line ends in, LF out), trimmed; "" when nothing new is left.
 */
char *mail_reply_new_text(const char *body);

#endif
