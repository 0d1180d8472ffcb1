#!/bin/sh
# PHP-FPM in the background, nginx in the foreground: the container ends when nginx does.
set -eu
# nginx runs a worker per core (worker_processes auto); their kept-alive connections share the pool's workers.
sed -i "s/KEEPALIVE_PER_WORKER/$((PHP_FPM_WORKERS / $(nproc)))/" /etc/nginx/nginx.conf
php-fpm8.2 --daemonize
exec nginx -g "daemon off;"
