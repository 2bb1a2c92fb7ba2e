-- A business member's registration certificate (PDF, PNG or JPEG, at most 5 MiB), attached
-- at sign-up and kept in the database with the member.
CREATE TABLE member_certificates (
    member_id BIGINT PRIMARY KEY NOT NULL REFERENCES console_members (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
