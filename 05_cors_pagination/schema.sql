-- schema.sql: the books table of step 04.
--
-- `flask --app app init-db` runs this file. It DROPS the books table and creates
-- it again, so every row is lost: init-db asks first when the table has books.

DROP TABLE IF EXISTS books;

CREATE TABLE books (
    id         INT UNSIGNED  NOT NULL AUTO_INCREMENT,
    title      VARCHAR(200)  NOT NULL,  -- 200 characters, not bytes
    author     VARCHAR(200)  NOT NULL,
    year       SMALLINT      NULL,      -- -32768..32767: room for -300 (300 BC)
    isbn       VARCHAR(13)   NULL,      -- digits only: 9780132350884
    price      DECIMAL(8, 2) NULL,      -- exact money, 0.00 to 999999.99
    -- TIMESTAMP is stored as UTC and shown in the connection's time zone, which
    -- db_connection.py sets to UTC. (Its range ends in 2038: fine for "when was
    -- this row written"; use DATETIME for dates far in the future.)
    created_at TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP
                                      ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    -- One book per isbn. NULL is "no value", so many books may have no isbn.
    UNIQUE KEY books_isbn_unique (isbn),
    -- validation.py checks this first; the database refuses it as well.
    CONSTRAINT books_price_not_negative CHECK (price >= 0)
)
-- Name the character set: never rely on the server's default. MariaDB before
-- 11.6 (and MySQL before 8.0) default to latin1, which cannot store "😀" or "本":
-- the INSERT fails with "Incorrect string value", or (without strict mode) the
-- text is stored as "?". utf8mb4 is real UTF-8, 1 to 4 bytes per character;
-- MySQL's older "utf8" (utf8mb3) stops at 3 bytes, so it cannot store emoji.
-- utf8mb4_unicode_ci compares by the Unicode rules, ignoring case.
ENGINE = InnoDB
DEFAULT CHARSET = utf8mb4
COLLATE = utf8mb4_unicode_ci;
