-- ticket_read.sql - everything tickets.get shows, as one jsonb.

-- Everything tickets.get shows: the ticket, its people and its history.
CREATE OR REPLACE FUNCTION ticket_full(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT ticket_summary(t) || jsonb_build_object(
        'description', t.description, 'source', t.source, 'closed_at', iso(t.closed_at),
        'contact', (SELECT jsonb_build_object('id', c.id, 'first_name', c.first_name,
                        'last_name', c.last_name,
                        'name', btrim(c.first_name || ' ' || c.last_name),
                        'title', c.title, 'email', c.email, 'phone', c.phone,
                        'cloudfront_domain', c.cloudfront_domain)
                      FROM contact c WHERE c.id = t.contact_id),
        'company', (SELECT jsonb_build_object('id', co.id, 'name', co.name,
                        'website', co.website, 'domain', co.domain)
                      FROM company co WHERE co.id = t.company_id),
        'attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', x.id,
                        'filename', x.filename, 'content_type', x.content_type,
                        'size', x.size, 'sha256', encode(x.sha256, 'hex'),
                        'message', x.message_id, 'created_at', iso(x.created_at))
                        ORDER BY x.id) FROM attachment x WHERE x.ticket_id = t.id), '[]'),
        'messages', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id,
                        'direction', m.direction,
                        'author', coalesce(staff_username(m.author_staff_id),
                                  (SELECT email FROM contact WHERE id = m.author_contact_id)),
                        'body', m.body, 'source', m.source, 'created_at', iso(m.created_at),
                        -- A staff reply's email: queued, sent or failed
                        -- (with the server's words); null for a contact's.
                        'delivery', m.delivery, 'delivery_error', m.delivery_error,
                        'delivery_at', iso(m.delivery_at))
                        ORDER BY m.created_at, m.id) FROM message m WHERE m.ticket_id = t.id), '[]'),
        'notes', coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id,
                        'author', staff_username(n.author_id), 'body', n.body,
                        'mentions', coalesce((SELECT jsonb_agg(staff_username(mm.staff_id))
                                                FROM mention mm WHERE mm.note_id = n.id), '[]'),
                        'created_at', iso(n.created_at))
                        ORDER BY n.created_at, n.id) FROM note n WHERE n.ticket_id = t.id), '[]'),
        'tasks', coalesce((SELECT jsonb_agg(task_json(k) ORDER BY k.id)
                             FROM task k WHERE k.ticket_id = t.id), '[]'),
        'events', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'action', e.action,
                        'by', coalesce(staff_username(e.staff_id),
                                       (SELECT email FROM contact WHERE id = e.contact_id)),
                        'change', e.change, 'created_at', iso(e.created_at))
                        ORDER BY e.created_at, e.id)
                        FROM event e WHERE e.ticket_id = t.id AND e.type <> 'notification'), '[]'))
      FROM ticket t WHERE t.id = p_id
$$;
