-- The key the new-post form carries (128 random bits, made when the form is rendered): a post sent again under the
-- same key (a retry on another database node, a second press of the button) is found here instead of stored twice.
-- Binary, so keys that differ only in letter case stay different; NULL for the posts written before keys existed.
ALTER TABLE posts
    ADD COLUMN post_key BINARY(16) NULL AFTER id,
    ADD UNIQUE INDEX ux_posts_post_key (post_key);
