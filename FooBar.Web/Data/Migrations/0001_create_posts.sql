CREATE TABLE posts (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    author     VARCHAR(100)    NOT NULL,
    title      VARCHAR(200)    NOT NULL,
    body       TEXT            NOT NULL,
    created_at DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    INDEX ix_posts_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO posts (author, title, body) VALUES
    ('FooBar', 'Welcome to www.foobar.com',
     'This page came from MySQL: nginx passed your request to the application server, which read this row and rendered it.');
