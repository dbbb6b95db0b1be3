-- Foundation: companies, departments, staff, absences, sessions, audit log,
-- and the distributor's master data (clients, contacts, products,
-- receivables, order history). Every business row carries company_id.
-- Money is BIGINT cents, quantities BIGINT thousandths, booleans BIGINT 0/1,
-- dates TEXT YYYY-MM-DD, timestamps TEXT RFC 3339 UTC.

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE departments (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    head_staff_id   BIGINT,
    UNIQUE (company_id, code)
);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    username        TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    role            TEXT NOT NULL,
    department_id   BIGINT REFERENCES departments(id),
    password_hash   TEXT,
    active          BIGINT NOT NULL DEFAULT 1,
    locale          TEXT NOT NULL DEFAULT 'en',
    created_at      TEXT NOT NULL,
    UNIQUE (company_id, username)
);

CREATE TABLE absences (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    staff_id            BIGINT NOT NULL REFERENCES staff(id),
    from_date           TEXT NOT NULL,
    to_date             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    substitute_staff_id BIGINT REFERENCES staff(id),
    UNIQUE (company_id, staff_id, from_date)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX audit_log_company_at ON audit_log (company_id, at);

CREATE TABLE client_types (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE clients (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    code                TEXT NOT NULL,
    name                TEXT NOT NULL,
    client_type         TEXT NOT NULL,
    manager_staff_id    BIGINT REFERENCES staff(id),
    email               TEXT NOT NULL,
    region              TEXT NOT NULL,
    credit_limit        BIGINT NOT NULL,
    UNIQUE (company_id, code)
);

CREATE TABLE client_phones (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    client_id   BIGINT NOT NULL REFERENCES clients(id),
    phone       TEXT NOT NULL,
    PRIMARY KEY (company_id, client_id, phone)
);
CREATE INDEX client_phones_phone ON client_phones (company_id, phone);

CREATE TABLE contacts (
    id                      INTEGER PRIMARY KEY,
    company_id              BIGINT NOT NULL REFERENCES companies(id),
    client_id               BIGINT NOT NULL REFERENCES clients(id),
    name                    TEXT NOT NULL,
    phone                   TEXT NOT NULL,
    authorized_to_receive   BIGINT NOT NULL,
    UNIQUE (company_id, client_id, name)
);
CREATE INDEX contacts_phone ON contacts (company_id, phone);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    unit        TEXT NOT NULL,
    price_1     BIGINT NOT NULL,
    price_2     BIGINT NOT NULL,
    price_3     BIGINT NOT NULL,
    price_4     BIGINT NOT NULL,
    price_5     BIGINT NOT NULL,
    is_new      BIGINT NOT NULL,
    is_special  BIGINT NOT NULL,
    alcohol     BIGINT NOT NULL,
    stock       BIGINT NOT NULL,
    UNIQUE (company_id, sku)
);

CREATE TABLE traditional_products (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    client_type TEXT NOT NULL,
    product_id  BIGINT NOT NULL REFERENCES products(id),
    PRIMARY KEY (company_id, client_type, product_id)
);

CREATE TABLE receivables (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    client_id   BIGINT NOT NULL REFERENCES clients(id),
    invoice     TEXT NOT NULL,
    issued      TEXT NOT NULL,
    due         TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    paid        BIGINT NOT NULL,
    UNIQUE (company_id, invoice)
);
CREATE INDEX receivables_client ON receivables (company_id, client_id);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    order_no    TEXT NOT NULL,
    client_id   BIGINT NOT NULL REFERENCES clients(id),
    order_date  TEXT NOT NULL,
    status      TEXT NOT NULL,
    UNIQUE (company_id, order_no)
);
CREATE INDEX orders_client_date ON orders (company_id, client_id, order_date);

CREATE TABLE order_lines (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    order_id    BIGINT NOT NULL REFERENCES orders(id),
    line_no     BIGINT NOT NULL,
    product_id  BIGINT NOT NULL REFERENCES products(id),
    quantity    BIGINT NOT NULL,
    unit_price  BIGINT NOT NULL,
    UNIQUE (order_id, line_no)
);
