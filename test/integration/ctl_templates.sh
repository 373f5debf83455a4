# ctl_templates.sh - docketctl template add, workflow add and workflow
# enroll: fields checked when a template is added, every step queued in the
# outbox with its delay, rendered for the contact, once.
. "$(dirname "$0")/lib.bash"
ctl migrate >/dev/null
ctl company add "Nordlys skole" --website https://nordlys.example.no
ctl contact add oystein@nordlys.example.no --first Øystein --last Brå --title Rektor --company "Nordlys skole"

run_in 'Hei {{contact.first_name}},

velkommen til portalen for {{company.name}} ({{company.website}}).' ctl template add onboarding welcome --subject "Velkommen, {{contact.first_name}}"
expect_ok "template add"
run_in 'x' ctl template add onboarding welcome --subject "Again"
expect_err "a template's folder/name is unique" 'docketctl: template add: template onboarding/welcome already exists (--replace changes it)'
run_in 'Hi {{contact.firstname}}' ctl template add onboarding typo --subject "Hi"
expect_err_has "an unknown field is refused when the template is added" 'docketctl: template add: body: unknown field {{contact.firstname}}'
run_in 'x' ctl template add onboarding bad --subject "Hi {{oops"
expect_err 'an unclosed field' 'docketctl: template add: subject: "{{" without "}}"'
run_in 'Tips: {{contact.title}}' ctl template add onboarding tips --subject "Tips"
expect_ok "a second template"
expect_eq "nothing else was added" "$(sql "SELECT count(*) FROM email_template WHERE folder <> 'system'")" 2

# Docket's own emails are templates too: an admin rewrites them.
run_in 'Hei {{contact.first_name}}, saken "{{ticket.subject}}" er ferdig.' ctl template add system closed --subject "Ferdig: [#{{ticket.id}}] {{ticket.subject}}" --replace
expect_ok "a system template is replaced"
expect_eq "  ...and is what the close email says now" \
    "$(sql "SELECT subject || '|' || body FROM email_text('closed', '{\"ticket.id\": \"7\", \"ticket.subject\": \"Kalender\", \"contact.first_name\": \"Øystein\"}')")" \
    'Ferdig: [#7] Kalender|Hei Øystein, saken "Kalender" er ferdig.'
run_in 'x {{note.body}}' ctl template add system closed --subject "S" --replace
expect_err_has "a field the email is not given is refused" 'body: unknown field {{note.body}} (known: ticket.id ticket.subject contact.first_name)'
run_in 'x' ctl template add system invented --subject "S"
expect_err_has "no such system email" 'Docket sends no email called "invented"'

run ctl workflow add onboard --step onboarding/welcome:0 --step onboarding/tips:2d
expect_ok "workflow add"
run ctl workflow add broken --step onboarding/nope:1d
expect_err "a step naming no template" 'docketctl: workflow add: no template onboarding/nope (add it with docketctl template add)'
run ctl workflow add broken2 --step onboarding/tips:soon
expect_err_has "a step with no valid delay" 'docketctl: workflow add: step "onboarding/tips:soon" is not FOLDER/TEMPLATE:DELAY'
run ctl workflow add nosteps
expect_err_has "a workflow needs steps" 'needs at least one --step'
expect_eq "failed adds left nothing" "$(sql "SELECT count(*) FROM workflow")" 1

run ctl workflow enroll onboard OYSTEIN@nordlys.example.no
expect_eq "enroll schedules every step" "$OUT" 'enrolled OYSTEIN@nordlys.example.no in "onboard": 2 emails scheduled'
expect_eq "the first email is due now, rendered for the contact" \
    "$(sql "SELECT subject || '|' || to_addr || '|' || (not_before <= now() + interval '1 minute') FROM outbox ORDER BY not_before LIMIT 1")" \
    "Velkommen, Øystein|oystein@nordlys.example.no|true"
expect_eq "  ...with the fields filled in" \
    "$(sql "SELECT body FROM outbox ORDER BY not_before LIMIT 1")" \
    "Hei Øystein,

velkommen til portalen for Nordlys skole (https://nordlys.example.no)."
expect_eq "the second is due two days later" \
    "$(sql "SELECT body || '|' || (not_before > now() + interval '47 hours' AND not_before < now() + interval '49 hours') FROM outbox ORDER BY not_before DESC LIMIT 1")" \
    "Tips: Rektor|true"
run ctl workflow enroll onboard oystein@nordlys.example.no
expect_err "enrolling twice is refused" 'docketctl: workflow enroll: oystein@nordlys.example.no is already enrolled in "onboard"'
run ctl workflow enroll nowhere oystein@nordlys.example.no
expect_err "unknown workflow" 'docketctl: workflow enroll: no workflow "nowhere"'
expect_eq "still two emails" "$(sql "SELECT count(*) FROM outbox")" 2
done_testing
