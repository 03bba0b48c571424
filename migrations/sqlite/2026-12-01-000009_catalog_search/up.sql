-- Search (see the PostgreSQL migration of the same version): an FTS5 index of the words the service
-- writes already folded, kept in step with the products by triggers. unicode61 splits on anything but
-- letters and digits and keeps accents: the words have none left.
ALTER TABLE products ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN search_description TEXT NOT NULL DEFAULT '';
UPDATE products SET search_name = lower(name), search_description = lower(description);
CREATE VIRTUAL TABLE products_fts USING fts5(
    search_name, search_description,
    content = 'products', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO products_fts (products_fts) VALUES ('rebuild');
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, search_name, search_description)
        VALUES (new.id, new.search_name, new.search_description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_name, search_description)
        VALUES ('delete', old.id, old.search_name, old.search_description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF search_name, search_description ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_name, search_description)
        VALUES ('delete', old.id, old.search_name, old.search_description);
    INSERT INTO products_fts (rowid, search_name, search_description)
        VALUES (new.id, new.search_name, new.search_description);
END;
