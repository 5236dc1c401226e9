CREATE TABLE items (
    id    integer PRIMARY KEY,
    name  text NOT NULL,
    stock integer NOT NULL DEFAULT 0
);
