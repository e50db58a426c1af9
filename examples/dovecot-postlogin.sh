#!/bin/sh
# dovecot-postlogin.sh: Dovecot post-login script that records the client's address with roaming-allow.
#
# Install as /usr/local/libexec/roaming/dovecot-postlogin.sh and, in conf.d/10-master.conf:
#
#   service imap {
#     executable = imap imap-postlogin
#   }
#   service pop3 {
#     executable = pop3 pop3-postlogin
#   }
#   service imap-postlogin {
#     executable = script-login /usr/local/libexec/roaming/dovecot-postlogin.sh
#     user = roaming
#     unix_listener imap-postlogin {
#     }
#   }
#   service pop3-postlogin {
#     executable = script-login /usr/local/libexec/roaming/dovecot-postlogin.sh
#     user = roaming
#     unix_listener pop3-postlogin {
#     }
#   }
#
# The script runs as the service's user, root when none is given: name the user that owns
# /var/lib/roaming and the directory of ROAMING_TCP_RULES, and that nothing else runs as.
# Dovecot gives the client's address in $IP and starts the script with a clean environment,
# so roaming's settings come from /etc/roaming.conf. roaming-allow records the address (or
# logs why not) and execs "$@", which lets the session go on; it never fails the login.
exec /usr/local/bin/roaming-allow "$@"
