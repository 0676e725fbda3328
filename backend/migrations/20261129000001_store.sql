-- The catalogue and the carts. Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE products (
    id          TEXT   NOT NULL PRIMARY KEY,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL,
    price       BIGINT NOT NULL CHECK (price >= 0),
    currency    TEXT   NOT NULL,
    image       TEXT   NOT NULL,
    position    BIGINT NOT NULL
);

-- A cart is every line of one user, identified by the JWT's issuer and subject.
CREATE TABLE cart_items (
    issuer     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    product_id TEXT   NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject, product_id)
);
