<?php
// FooBar's Adminer: Debian's adminer.php, logged in to MySQL as the login the container's environment names
// (ADMINER_USERNAME, ADMINER_PASSWORD, ADMINER_DATABASE), so whoever opens it is in. It reaches only the servers
// whose sockets the AppHost shares with it, /run/mysql-servers/<name>/mysqld.sock, in ADMINER_SERVERS' order.

// Only this machine's names: a web page that points a name of its own at 127.0.0.1 gets nothing (DNS rebinding).
if (!preg_match('~^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$~', $_SERVER['HTTP_HOST'] ?? '')) {
    http_response_code(421);
    header('Content-Type: text/plain');
    exit("This page answers to localhost and 127.0.0.1 only.\n");
}

function foobar_servers()
{
    return array_values(array_filter(explode(' ', getenv('ADMINER_SERVERS') ?: '')));
}

function adminer_object()
{
    class FooBarAdminer extends Adminer
    {
        public function name()
        {
            return 'FooBar';
        }

        // A server of the list, by its socket; the password from the environment, never from the browser. Any other
        // name is sent nowhere, with no password.
        public function credentials()
        {
            return in_array(SERVER, foobar_servers(), true)
                ? ['localhost:/run/mysql-servers/' . SERVER . '/mysqld.sock', getenv('ADMINER_USERNAME'), getenv('ADMINER_PASSWORD')]
                : ['localhost:/nonexistent', '', ''];
        }

        public function database()
        {
            return getenv('ADMINER_DATABASE') ?: null;
        }

        // The environment's login on a server of the list, nothing else: no other host, no other user.
        public function login($login, $password)
        {
            return in_array(SERVER, foobar_servers(), true) && $login === getenv('ADMINER_USERNAME');
        }

        // The form, shown when a login fails (a node is down): a choice of the servers (a cluster's nodes), nothing to type.
        public function loginFormField($name, $heading, $value)
        {
            if ($name == 'driver' || $name == 'password') {
                return '';
            }
            if ($name == 'server') {
                return $heading . "<select name='auth[server]'>" . optionlist(foobar_servers(), SERVER) . "</select>\n";
            }
            if ($name == 'username') {
                return $heading . h(getenv('ADMINER_USERNAME')) . "<input type='hidden' name='auth[username]' value='" . h(getenv('ADMINER_USERNAME')) . "'>\n";
            }
            return parent::loginFormField($name, $heading, $value);
        }
    }

    return new FooBarAdminer();
}

// No form to fill: a visit with no login yet logs in as the form would, to ?server= or else the first server.
if (!isset($_GET['username']) && !isset($_POST['auth']) && !isset($_POST['logout'])) {
    $_POST['auth'] = [
        'driver' => 'server',
        'server' => in_array($_GET['server'] ?? null, foobar_servers(), true) ? $_GET['server'] : (foobar_servers()[0] ?? ''),
        'username' => getenv('ADMINER_USERNAME'),
        'password' => '',
        'db' => getenv('ADMINER_DATABASE'),
    ];
}
// The form has no driver field: MySQL is the only one.
if (isset($_POST['auth'])) {
    $_POST['auth']['driver'] = 'server';
}

require '/usr/share/adminer/adminer.php';
