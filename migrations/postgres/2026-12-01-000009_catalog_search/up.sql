-- Search (CONTRACT.md section 7): every word of a search must match a word of the name or the
-- description, the last one as a prefix. The words are written by the service already folded (lower
-- case, no accents: `values::search_words`), so the index holds them as they are (no text-search
-- configuration, whose parser depends on the locale) and SQLite's FTS5 table holds the same words.
-- btree_gin lets one GIN index serve the store and the words together.
CREATE EXTENSION IF NOT EXISTS btree_gin;
ALTER TABLE products
    ADD COLUMN search_name TEXT NOT NULL DEFAULT '',
    ADD COLUMN search_description TEXT NOT NULL DEFAULT '';
-- Products of before: their words without folding accents (the service writes them folded).
UPDATE products SET
    search_name = array_to_string(array_remove(regexp_split_to_array(lower(name), '[^[:alnum:]]+'), ''), ' '),
    search_description = array_to_string(array_remove(regexp_split_to_array(lower(description), '[^[:alnum:]]+'), ''), ' ');
ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
    (array_to_tsvector(array_remove(string_to_array(search_name || ' ' || search_description, ' '), ''))) STORED;
CREATE INDEX products_live_search ON products USING gin (vendor_id, search_vector) WHERE deleted_at IS NULL;
