"""The offline round: the real services, a real SQLite file and a recording Discord.

``iln-bot simulate`` runs a whole round on a virtual clock (:mod:`.runner`), with partners
following a seeded script (:mod:`.script`) and Discord replaced by an in-memory recorder
(:mod:`.recorder`). Its timeline is a list of events; the kinds are:

Coordinators' steps (done by the simulation as a coordinator would)
    ``round_created``, ``applicants_imported``, ``history_loaded`` (past partnerships
    stored as an ended earlier round, so the matcher keeps those people apart),
    ``applications_closed``, ``matched``, ``unmatched`` (one per person, with reasons),
    ``round_started``, and last ``round_closed`` (every space closed).

What the bot posts (one per delivered outbox post; ``partnership`` set when it is a space's)
    ``applications_announced``, ``intro_posted``, ``cohort_thread_opened`` (the forum
    thread for a topic, opened a second before the first space gets it), ``topic_posted``,
    ``availability_asked``, ``checkin_sent`` (in the space), ``checkin_dm_sent`` (a direct
    message, or in the space when the member's DMs are closed), ``nudge_posted``,
    ``coordinator_alerted`` (unanswered nudges, a "not working" check-in, a partner who
    left), ``away_noted``, ``welcome_back_posted``, ``end_reminder_posted``,
    ``closing_posted``; live discussions: ``event_scheduled``, ``event_moved``,
    ``event_cancelled`` (announcements), ``event_thread_note`` (the same in the topic's
    thread), ``event_reminder_sent`` (to the members who pressed Interested),
    ``event_started``, ``event_ended``; desks: ``desk_welcomed`` (the reply with "Feature
    my desk"), ``desk_featured`` (the fortnight's desk); any other outbox kind ``K``
    appears under its own name.

What the bot does to the server
    ``space_created``, ``space_archived`` (read-only), ``space_kept_open`` (every partner
    chose "keep in touch"), ``dm_refused`` (a member does not accept direct messages),
    ``event_created`` (the Discord scheduled event).

What partners do (besides messages, which are only counted)
    ``checkin_answered``, ``end_choice``.

What the wider cohort does (:mod:`.community`)
    ``event_planned`` (a coordinator schedules a topic's live discussion at the hour the
    program suggests), ``event_interest`` (members press Interested), ``desk_shared``,
    ``desk_consented`` (the author pressed "Feature my desk").

With ``--json`` every event is one line, whole, and the last line has kind ``summary`` with
the summary's fields as an object; a run that does not settle within two weeks after the
round's end adds ``gave_up``. Otherwise :mod:`.moments` groups the events into moments and
:mod:`.display` shows them and the summary (with rich on a terminal, as plain text when
piped).
"""
