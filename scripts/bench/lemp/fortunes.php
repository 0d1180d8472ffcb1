<?php
// TechEmpower's Fortunes test, as FooBar's /fortunes serves it: every row read on every request, one added at request
// time, sorted by message (byte order, as FooBar's ordinal sort), HTML-escaped; nothing cached between requests.
$db = new PDO(
    'mysql:host=' . getenv('DB_HOST') . ';dbname=' . getenv('DB_NAME') . ';charset=utf8mb4',
    getenv('DB_USER'),
    getenv('DB_PASSWORD'),
    [PDO::ATTR_PERSISTENT => true, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]
);
$fortunes = $db->query('SELECT id, message FROM fortune')->fetchAll(PDO::FETCH_KEY_PAIR);
$fortunes[0] = 'Additional fortune added at request time.';
asort($fortunes, SORT_STRING);

// The same entities as ASP.NET Core's HTML encoder, so both pages are the same bytes (it escapes ' and + too).
const ESCAPES = ['&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&quot;', "'" => '&#x27;', '+' => '&#x2B;'];

header('Content-Type: text/html; charset=utf-8');
echo '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>';
foreach ($fortunes as $id => $message) {
    echo '<tr><td>', $id, '</td><td>', strtr($message, ESCAPES), '</td></tr>';
}
echo "</table></body></html>\n";
