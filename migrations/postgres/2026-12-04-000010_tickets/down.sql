DROP TABLE tickets;
DROP TABLE ticket_fields;
