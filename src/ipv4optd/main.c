/* SPDX-License-Identifier: BSD-3-Clause */
/* ipv4optd: arguments, start, exit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"

static void help(void)
{
	printf("Usage: ipv4optd [OPTIONS]\n"
	       "Holds the IPv4 multicast memberships of " CONFIG_DEFAULT_PATH " whatever the\n"
	       "interfaces do, relays or logs their traffic, and takes commands from ipv4ctl.\n\n"
	       "  -f, --config FILE      configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	       "  -t, --test-config      check the configuration file and exit\n"
	       "  -S, --socket PATH      control socket (overrides control.path)\n"
	       "      --state-dir DIR    runtime joins kept here (overrides state_dir)\n"
	       "  -n, --foreground       log to stderr, not to the journal\n"
	       "  -d, --debug            log at debug level\n"
	       "      --netlink-rcvbuf N rtnetlink receive buffer in bytes (default 4 MiB)\n"
	       "  -h, --help             show this help\n"
	       "  -V, --version          show the version\n");
}

int main(int argc, char **argv)
{
	enum { ARG_STATE_DIR = 0x100, ARG_NETLINK_RCVBUF };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "test-config", no_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 'S' },
		{ "state-dir", required_argument, NULL, ARG_STATE_DIR },
		{ "foreground", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "netlink-rcvbuf", required_argument, NULL, ARG_NETLINK_RCVBUF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct daemon_options opts = {
		.config_path = CONFIG_DEFAULT_PATH,
		.dispatcher = &commands_dispatcher,
	};
	_cleanup_(daemon_freep) struct daemon *d = NULL;
	bool test_config = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:tS:ndhV", options, NULL)) >= 0) {
		switch (c) {
		case 'f':
			opts.config_path = optarg;
			break;
		case 't':
			test_config = true;
			break;
		case 'S':
			opts.control_path = optarg;
			break;
		case ARG_STATE_DIR:
			opts.state_dir = optarg;
			break;
		case 'n':
			opts.foreground_log = true;
			break;
		case 'd':
			opts.debug = true;
			break;
		case ARG_NETLINK_RCVBUF: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 1 << 30) {
				fprintf(stderr, "ipv4optd: --netlink-rcvbuf: invalid size '%s'\n", optarg);
				return 2;
			}
			opts.netlink_rcvbuf = (int)v;
			break;
		}
		case 'h':
			help();
			return 0;
		case 'V':
			printf("ipv4optd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'ipv4optd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipv4optd: unexpected argument '%s'\nTry 'ipv4optd --help'.\n",
			argv[optind]);
		return 2;
	}

	if (test_config) {
		_cleanup_(config_freep) struct config *cfg = NULL;
		_cleanup_free_ char *errors = NULL;

		r = config_parse_file(opts.config_path, &cfg, &errors);
		if (r < 0) {
			fputs(errors ? errors : "", stderr);
			if (errors && errors[0] && errors[strlen(errors) - 1] != '\n')
				fputc('\n', stderr);
			fprintf(stderr, "%s: invalid configuration\n", opts.config_path);
			return 1;
		}
		printf("%s: configuration OK, %zu %s\n", opts.config_path, cfg->n_policies,
		       cfg->n_policies == 1 ? "policy" : "policies");
		return 0;
	}

	log_setup("ipv4optd", opts.foreground_log ? LOG_SINK_STDERR : LOG_SINK_AUTO);
	r = daemon_new(&opts, &d);
	if (r < 0)
		return 1;
	return daemon_run(d);
}
