-- The log's name filter looks a text up among the org's people ("contains", any case).
-- Testing every person's text with LIKE cost ~150 us with 1,100 people and grows with
-- them; a trigram index (FTS5, external content: the texts are not stored twice) finds
-- the few that contain a text of 3 or more characters in ~40 us. Shorter texts, which
-- trigrams cannot answer, are still tested with LIKE. Kept in step by triggers (people
-- are only ever added; removed with their org).
CREATE VIRTUAL TABLE permission_log_people_trigrams USING fts5 (
    search_text,
    content = 'permission_log_people',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO permission_log_people_trigrams (permission_log_people_trigrams) VALUES ('rebuild');

CREATE TRIGGER permission_log_people_trigrams_insert AFTER INSERT ON permission_log_people
BEGIN
    INSERT INTO permission_log_people_trigrams (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER permission_log_people_trigrams_delete AFTER DELETE ON permission_log_people
BEGIN
    INSERT INTO permission_log_people_trigrams (permission_log_people_trigrams, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER permission_log_people_trigrams_update AFTER UPDATE ON permission_log_people
BEGIN
    INSERT INTO permission_log_people_trigrams (permission_log_people_trigrams, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO permission_log_people_trigrams (rowid, search_text) VALUES (new.id, new.search_text);
END;
