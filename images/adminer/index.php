<?php
// FooBar's Adminer: Debian's adminer.php, logged in to MySQL over its socket as the login the container's
// environment names (ADMINER_USERNAME, ADMINER_PASSWORD, ADMINER_DATABASE), so whoever opens it is in. The page
// listens on loopback only, in the development profile only (FooBar.AppHost/Hosting/Adminer/).
function adminer_object()
{
    class FooBarAdminer extends Adminer
    {
        public function name()
        {
            return 'FooBar';
        }

        // The server's socket and the environment's login: the password never passes through the browser.
        public function credentials()
        {
            return ['localhost', getenv('ADMINER_USERNAME'), getenv('ADMINER_PASSWORD')];
        }

        public function database()
        {
            return getenv('ADMINER_DATABASE') ?: null;
        }

        // Adminer refuses an empty password from the form; the real one comes from credentials() above.
        public function login($login, $password)
        {
            return true;
        }
    }

    return new FooBarAdminer();
}

// No form to fill: a visit with no login yet logs in as the form would (Adminer then redirects to the database).
if (!isset($_GET['username']) && !isset($_POST['auth'])) {
    $_POST['auth'] = [
        'driver' => 'server',
        'server' => 'localhost',
        'username' => getenv('ADMINER_USERNAME'),
        'password' => '',
        'db' => getenv('ADMINER_DATABASE'),
    ];
}

require '/usr/share/adminer/adminer.php';
