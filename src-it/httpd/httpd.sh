#!/usr/bin/env bash
# A throwaway WebDAV server on 127.0.0.1: lighttpd + mod_webdav (HTTP with enforced RFC 7232
# preconditions), or nginx + dav + dav_ext (a server that ignores them, to show that Tenure refuses it).
#
#   httpd.sh install                    install Debian's lighttpd, lighttpd-mod-webdav, nginx and
#                                       libnginx-mod-http-dav-ext when missing (root or sudo), without
#                                       leaving the system lighttpd or nginx service enabled or running
#   httpd.sh start DIR [PORT] [SERVER]  start SERVER (lighttpd, the default, or nginx) on 127.0.0.1:PORT
#                                       (default 18080), document root in DIR; writes DIR/env
#   httpd.sh stop DIR                   stop the server started in DIR, whichever it is
#
# For lighttpd, DIR/env holds TENURE_HTTP_ENDPOINT (the WebDAV base URL, ending in /dav/) and
# TENURE_HTTP_AUTH_FILE (a file holding the value of the Authorization header: "Basic ...").
# For nginx it holds TENURE_HTTP_NGINX_ENDPOINT and TENURE_HTTP_NGINX_AUTH_FILE instead, so that both
# env files can be sourced into one shell, plus TENURE_HTTP_NGINX_ETAG_ENDPOINT (see write_nginx_config).
# Objects live under DIR/root/dav.
#
# Why lighttpd: it is one single-threaded process, and mod_webdav checks If-Match / If-None-Match and
# replaces the file (temporary file + rename) in the same handler call once the whole request body has
# arrived, so a conditional PUT or DELETE is atomic with respect to every other request. Its PUT
# response carries the new strong ETag. Apache mod_dav, nginx, rclone and chezdav lose updates under
# concurrency (see the notes on HTTP servers). Keep server.max-worker unset (one process): with more
# than one worker process the precondition check would race again.
set -euo pipefail

AUTH_USER=tenure-it
AUTH_PASSWORD=tenure-it-secret

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "httpd.sh: need root (or sudo) to run: $*" >&2; return 1; fi
}

lighttpd_bin() {
  command -v lighttpd 2>/dev/null || { [ -x /usr/sbin/lighttpd ] && echo /usr/sbin/lighttpd; } || true
}

nginx_bin() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

# Debian's nginx binary (package nginx) has the dav module built in; PROPFIND and OPTIONS come from dav_ext.
NGINX_DAV_EXT=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so

installed() {
  [ -n "$(lighttpd_bin)" ] && [ -f /usr/lib/lighttpd/mod_webdav.so ] && [ -f /usr/lib/lighttpd/mod_authn_file.so ] \
    && [ -n "$(nginx_bin)" ] && [ -f "$NGINX_DAV_EXT" ] && command -v curl >/dev/null
}

# The Debian packages enable and start a system lighttpd and nginx on port 80; these tests never want them.
quiet_system_service() {
  local name=$1
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    as_root systemctl disable --now "$name.service" >/dev/null 2>&1 || true
  else
    if command -v update-rc.d >/dev/null; then as_root update-rc.d "$name" disable >/dev/null 2>&1 || true; fi
    if [ -s "/run/$name.pid" ] && kill -0 "$(cat "/run/$name.pid")" 2>/dev/null; then
      as_root "/etc/init.d/$name" stop >/dev/null 2>&1 || true
    fi
  fi
}

quiet_system_services() {
  quiet_system_service lighttpd
  quiet_system_service nginx
}

install() {
  # nginx (not nginx-light, which only adds the echo module) has the dav module built in.
  local packages="lighttpd lighttpd-mod-webdav nginx libnginx-mod-http-dav-ext curl"
  if installed; then
    echo "httpd.sh: lighttpd, lighttpd-mod-webdav, nginx and libnginx-mod-http-dav-ext are installed"
    quiet_system_services
    return 0
  fi
  echo "httpd.sh: installing $packages"
  # policy-rc.d answering 101 keeps apt from starting the system service during the install.
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    made_policy=yes
  fi
  local rc=0
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  } || rc=$?
  if [ -n "$made_policy" ]; then as_root rm -f "$policy"; fi
  [ $rc = 0 ] || { echo "httpd.sh: apt-get failed ($rc)" >&2; return $rc; }
  quiet_system_services
  installed || { echo "httpd.sh: lighttpd, mod_webdav, nginx or dav_ext still missing after install" >&2; return 1; }
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir=${1:?usage: httpd.sh start DIR [PORT] [SERVER]} port=${2:-18080} server=${3:-lighttpd}
  local bin
  case "$server" in
    lighttpd) bin=$(lighttpd_bin) ;;
    nginx) bin=$(nginx_bin)
      [ -z "$bin" ] || [ -f "$NGINX_DAV_EXT" ] || bin="" ;;
    *) echo "httpd.sh: unknown SERVER '$server'; known: lighttpd, nginx" >&2; return 2 ;;
  esac
  [ -n "$bin" ] || { echo "httpd.sh: $server (with its WebDAV modules) is not installed; run: httpd.sh install" >&2; return 1; }
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  case "$dir" in
    /|/root|/home|/tmp|/work|"${HOME:-/root}") echo "httpd.sh: refusing to use $dir as DIR (it is wiped)" >&2; return 1 ;;
  esac
  stop "$dir" 2>/dev/null || true
  for _ in $(seq 1 100); do port_in_use "$port" || break; sleep 0.1; done
  if port_in_use "$port"; then
    echo "httpd.sh: port $port on 127.0.0.1 is in use (another server still running?); stop it or choose another port" >&2
    return 1
  fi
  rm -rf "${dir:?}"/*
  mkdir -p "$dir/root/dav" "$dir/tmp" "$dir/log"
  printf 'Basic %s' "$(printf '%s:%s' "$AUTH_USER" "$AUTH_PASSWORD" | base64 -w0)" > "$dir/auth-header"
  local started; started=$(date +%s)
  "write_${server}_config" "$dir" "$port"
  "launch_${server}" "$bin" "$dir"
  local ready="" code=""
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X PROPFIND -H 'Depth: 0' \
      -H "Authorization: $(cat "$dir/auth-header")" "http://127.0.0.1:$port/dav/" || true)
    if [ "$code" = 207 ]; then ready=yes; break; fi
    sleep 0.1
  done
  if [ -z "$ready" ] || [ ! -s "$dir/$server.pid" ]; then
    echo "httpd.sh: $server did not answer on 127.0.0.1:$port within 10 s (last status: ${code:-none}); its log:" >&2
    tail -n 20 "$dir/log/error.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
    stop "$dir" 2>/dev/null || true
    return 1
  fi
  if [ "$server" = lighttpd ]; then
    cat > "$dir/env" <<ENV
export TENURE_HTTP_ENDPOINT=http://127.0.0.1:$port/dav/
export TENURE_HTTP_AUTH_FILE=$dir/auth-header
ENV
    echo "httpd.sh: $("$bin" -v 2>/dev/null | awk '{print $1; exit}') with mod_webdav ready on http://127.0.0.1:$port/dav/ in $(( $(date +%s) - started )) s (pid $(cat "$dir/lighttpd.pid"))"
  else
    cat > "$dir/env" <<ENV
export TENURE_HTTP_NGINX_ENDPOINT=http://127.0.0.1:$port/dav/
export TENURE_HTTP_NGINX_AUTH_FILE=$dir/auth-header
export TENURE_HTTP_NGINX_ETAG_ENDPOINT=http://127.0.0.1:$port/dav-etag/
ENV
    echo "httpd.sh: $("$bin" -v 2>&1 | awk -F": " "{print \$2; exit}") with dav and dav_ext ready on http://127.0.0.1:$port/dav/ and /dav-etag/ in $(( $(date +%s) - started )) s (pid $(cat "$dir/nginx.pid"))"
  fi
}

write_lighttpd_config() {
  local dir=$1 port=$2
  printf '%s:%s\n' "$AUTH_USER" "$AUTH_PASSWORD" > "$dir/users"
  chmod 600 "$dir/users"
  cat > "$dir/lighttpd.conf" <<CONF
# Written by httpd.sh: a throwaway WebDAV server for Tenure's integration tests.
server.document-root = "$dir/root"
server.bind          = "127.0.0.1"
server.port          = $port
server.pid-file      = "$dir/lighttpd.pid"
server.errorlog      = "$dir/log/error.log"
# Request bodies are spooled here, on the same file system as the document root, so that mod_webdav
# can link the spooled body into place and rename it over the target (an atomic replacement).
server.upload-dirs   = ( "$dir/tmp" )
# Idle keep-alive connections stay open a minute (lighttpd's default is 5 s). Java's HTTP client keeps
# idle connections far longer and, for a PUT, reports a connection the server closed meanwhile as
# "connection closed locally": an ambiguous write. Under a loaded CI run the conformance suite's
# pooled connections sat idle past 5 s during the 64 MiB transfer, and the next test's PUTs failed.
server.max-keep-alive-idle = 60
# No cap on the requests one connection carries (lighttpd closes a connection after its cap, 100 or
# 1,000 depending on the version). A CI run failed once with "connection closed locally" on a PUT
# in the 1,001-key listing test; recycling at the cap is the one place a healthy server closes a
# pooled connection mid-run. Not proven to be that run's cause, and harmless to every test here.
server.max-keep-alive-requests = 1000000
# mod_auth must come before mod_webdav.
server.modules       = ( "mod_auth", "mod_authn_file", "mod_webdav", "mod_staticfile" )
# Without a matching Content-Type lighttpd sends GET and HEAD without ETag and Last-Modified.
mimetype.assign      = ( "" => "application/octet-stream" )
static-file.etags    = "enable"
etag.use-inode       = "enable"
etag.use-mtime       = "enable"
etag.use-size        = "enable"
auth.backend                = "plain"
auth.backend.plain.userfile = "$dir/users"
\$HTTP["url"] =^ "/dav/" {
  webdav.activate    = "enable"
  webdav.is-readonly = "disable"
  webdav.opts        = ( "propfind-depth-infinity" => "enable" )
  auth.require       = ( "/dav/" => ( "method" => "basic", "realm" => "tenure-it", "require" => "valid-user" ) )
}
CONF
}

launch_lighttpd() {
  local bin=$1 dir=$2
  "$bin" -tt -f "$dir/lighttpd.conf" >"$dir/log/configtest.log" 2>&1 || {
    echo "httpd.sh: lighttpd rejected $dir/lighttpd.conf:" >&2; cat "$dir/log/configtest.log" >&2; return 1; }
  # lighttpd detaches itself and writes its pid to DIR/lighttpd.pid.
  "$bin" -f "$dir/lighttpd.conf" </dev/null >"$dir/log/stdout.log" 2>&1
}

# nginx's dav module never looks at If-Match or If-None-Match, and its PUT answers carry no ETag; it is
# here to show that Tenure refuses such a server. Two locations share the server:
#   /dav/       stock: dav_methods PUT DELETE MKCOL, dav_ext_methods PROPFIND OPTIONS, create_full_put_path on
#               (with it off, a PUT under a missing collection answers 500, not 409).
#   /dav-etag/  the same plus an ETag on PUT answers (a fresh
#               "put-<request id>" each time; GET and HEAD keep nginx's own "<mtime>-<size>" ETag).
#               It stands for a server that names a version per write yet ignores preconditions, so
#               that Tenure's probe gets past "PUT answered without an ETag" to the precondition checks.
write_nginx_config() {
  local dir=$1 port=$2
  mkdir -p "$dir/root/dav-etag"
  local hash
  if command -v openssl >/dev/null; then
    hash=$(openssl passwd -apr1 "$AUTH_PASSWORD")
  else
    hash="{PLAIN}$AUTH_PASSWORD"
  fi
  printf '%s:%s\n' "$AUTH_USER" "$hash" > "$dir/htpasswd"
  chmod 600 "$dir/htpasswd"
  # As root, the master would hand the workers to "nobody", who cannot write DIR; keep them as we are.
  local user_line=""
  [ "$(id -u)" != 0 ] || user_line="user $(id -un) $(id -gn);"
  local dav_common="auth_basic \"tenure-it\";
      auth_basic_user_file $dir/htpasswd;
      dav_methods PUT DELETE MKCOL;
      dav_ext_methods PROPFIND OPTIONS;
      client_max_body_size 0;"
  cat > "$dir/nginx.conf" <<CONF
# Written by httpd.sh: a throwaway WebDAV server for Tenure's integration tests. Run with -p $dir/.
load_module $NGINX_DAV_EXT;
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/log/error.log;
events {
  worker_connections 256;
}
http {
  access_log $dir/log/access.log;
  default_type application/octet-stream;
  # Request bodies are spooled on the document root's file system and renamed into place.
  client_body_temp_path $dir/tmp/client_body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  # /dav-etag/ only: an ETag on every PUT answer; other methods keep the one nginx set (if any).
  map \$request_method \$tenure_put_etag {
    PUT "\"put-\$request_id\"";
    default \$sent_http_etag;
  }
  server {
    listen 127.0.0.1:$port;
    root $dir/root;
    location /dav/ {
      $dav_common
      create_full_put_path on;
    }
    location /dav-etag/ {
      $dav_common
      create_full_put_path on;
      add_header ETag \$tenure_put_etag;
    }
  }
}
CONF
}

launch_nginx() {
  local bin=$1 dir=$2
  # -e: the error log nginx uses before it has read the config (else /var/log/nginx/error.log).
  "$bin" -t -q -p "$dir/" -e "$dir/log/error.log" -c "$dir/nginx.conf" >"$dir/log/configtest.log" 2>&1 || {
    echo "httpd.sh: nginx rejected $dir/nginx.conf:" >&2; cat "$dir/log/configtest.log" >&2; return 1; }
  # The master detaches itself and writes its pid to DIR/nginx.pid.
  "$bin" -p "$dir/" -e "$dir/log/error.log" -c "$dir/nginx.conf" </dev/null >"$dir/log/stdout.log" 2>&1
}

# Stops the server (lighttpd or nginx) whose pid file is in DIR; nothing else.
stop() {
  local dir=${1:?usage: httpd.sh stop DIR} name pid children
  for name in lighttpd nginx; do
    [ -s "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    # nginx's workers are children of the master: noted now, so that they can be ended if it is killed.
    children=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      # shellcheck disable=SC2086
      kill -9 "$pid" $children 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
}

cmd=${1:-}
shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: httpd.sh install | start DIR [PORT] [SERVER] | stop DIR   (SERVER: lighttpd or nginx)" >&2; exit 2 ;;
esac
