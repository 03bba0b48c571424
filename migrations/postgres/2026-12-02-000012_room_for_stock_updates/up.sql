-- An order takes stock with an update of `stock` alone, which no index holds: PostgreSQL can then
-- update the row in place (a HOT update), without new entries in the product's seven indexes, but
-- only when the row's page has room for the new version. Full pages (the default fillfactor, 100)
-- pushed a popular product's updates onto other pages, with new index entries each time: after a
-- burst of orders on two products, the catalog's first page read a hundred dead index entries. A
-- third of each page is left free for such versions (pages written from now on; `VACUUM FULL
-- products` rewrites the existing ones).
ALTER TABLE products SET (fillfactor = 70);
