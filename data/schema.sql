-- data/schema.sql - the knowledge database that `motcua import data OUT.db` builds.
-- The server opens it read-only and checks PRAGMA user_version against
-- KB_SCHEMA_VERSION (gateway/kb.h); bump both together when this file changes.
-- Every row is derived from the reviewed source files in data/; nothing is
-- edited here by hand.

CREATE TABLE build_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The public ids of ../catalogue: procedures and meta intents.
CREATE TABLE label (
    id     TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('procedure', 'meta')),
    domain TEXT NOT NULL,
    name   TEXT NOT NULL
);

-- One row per data/procedures/<id>.json; body is the API object of
-- GET /api/v1/procedures/{id}, already validated and NFC.
CREATE TABLE procedure (
    id         TEXT PRIMARY KEY REFERENCES label (id),
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL,
    domain     TEXT NOT NULL,
    body       TEXT NOT NULL
);

-- One row per data/meta/<id>.json.
CREATE TABLE meta_answer (
    id             TEXT PRIMARY KEY REFERENCES label (id),
    answer         TEXT NOT NULL,
    answer_generic TEXT NOT NULL
);

-- Training phrases for understanding; label 'none' marks out-of-scope examples.
CREATE TABLE phrase (
    label  TEXT NOT NULL,
    text   TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Text resources read by understanding (lexicon, rules, corpus).
CREATE TABLE resource (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

-- Administrative units since 1 July 2025 (data/units/).
CREATE TABLE province (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    folded TEXT NOT NULL
);
CREATE TABLE unit (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES province (code),
    folded        TEXT NOT NULL
);
CREATE INDEX unit_folded ON unit (folded);
-- Where each pre-reform commune went; several rows when it was split.
CREATE TABLE former_unit (
    old_code      TEXT NOT NULL,
    old_name      TEXT NOT NULL,
    old_district  TEXT NOT NULL,
    old_province  TEXT NOT NULL,
    new_code      TEXT NOT NULL REFERENCES unit (code),
    whole         INTEGER NOT NULL CHECK (whole IN (0, 1)),
    folded        TEXT NOT NULL
);
CREATE INDEX former_unit_folded ON former_unit (folded);
CREATE INDEX former_unit_new ON former_unit (new_code);

-- Public administrative service centre of a unit (data/offices/), body JSON.
CREATE TABLE office (
    unit_code TEXT PRIMARY KEY REFERENCES unit (code),
    body      TEXT NOT NULL
);

-- Families of procedures a broad request may mean (data/families.json,
-- data/FAMILIES.md): the conversation offers a choice instead of a guess.
CREATE TABLE family (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    position INTEGER NOT NULL -- file order: an earlier family is asked first
);
CREATE TABLE family_trigger (
    family  TEXT NOT NULL REFERENCES family (id),
    pattern TEXT NOT NULL -- folded words; " + " joins phrases found in any order
);
CREATE TABLE family_option (
    family    TEXT NOT NULL REFERENCES family (id),
    position  INTEGER NOT NULL,
    procedure TEXT NOT NULL REFERENCES label (id),
    title     TEXT NOT NULL, -- quick-reply title, <= 20 characters
    line      TEXT NOT NULL, -- how this option differs from the others
    verify    INTEGER NOT NULL CHECK (verify IN (0, 1)),
    words     TEXT NOT NULL, -- " w1 w2 ": folded words naming it (title, line, guide names)
    names     TEXT NOT NULL  -- folded title, line, guide name, short name, aliases, one a line
);

-- The portal's commune-level procedures (data/portal_index.tsv): every code,
-- the guide that covers it (NULL: none) and, for the others, why there is no
-- guide. Understanding names the guide-less ones (intents/known.h).
CREATE TABLE portal_entry (
    code     TEXT PRIMARY KEY,
    body     TEXT NOT NULL,
    domain   TEXT NOT NULL,
    name     TEXT NOT NULL,
    agency   TEXT NOT NULL,
    for_whom TEXT NOT NULL,
    url      TEXT NOT NULL,
    reason   TEXT NOT NULL,
    guide    TEXT REFERENCES procedure (id)
);
