/**
 * The variables a file may not set for the command (`exec-env`) or the program (the Node loader),
 * by family: those that change how programs start, which program runs or what code it loads,
 * where traffic or credentials go, or which certificates are trusted. Data only; the policy that
 * applies it is env-policy.ts.
 */

/** A family of variables and why it is refused (the reason is shown to the user). */
export interface EnvFamily {
  readonly why: string;
  /** Exact names, upper case. */
  readonly names: readonly string[];
  /** Name prefixes, upper case. */
  readonly prefixes: readonly string[];
  /** Name suffixes, upper case: a setting many tools spell with their own prefix (`AWS_PAGER`). */
  readonly suffixes?: readonly string[];
}

/**
 * The families `exec-env` and the Node loader refuse, each with its reason; a name belongs to the
 * first family that lists it or one of its prefixes or suffixes. Documented in docs/workflows.md.
 */
export const REFUSED_ENV_FAMILIES: readonly EnvFamily[] = [
  {
    // An empty entry (or an empty PATH) means the working directory: a repository's ./node runs.
    why: "decides where programs are found",
    names: ["PATH", "PATHEXT", "COMSPEC"],
    prefixes: [],
  },
  {
    // The dynamic loaders' variables, and the ones glibc strips for set-user-ID programs
    // (UNSECURE_ENVVARS): libraries to preload, character-set modules, tunables. OpenSSH loads
    // SSH_SK_PROVIDER's library for a security key (ssh-keygen ran its code).
    why: "makes the C runtime load libraries or read files of its choosing",
    names: ["SSH_SK_PROVIDER", "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR"],
    prefixes: ["LD_", "DYLD_"],
  },
  {
    // The plugin paths of the libraries a program's browser, image or media work loads: the
    // Chrome that Puppeteer or Playwright starts loads GTK, GIO, Vulkan, EGL and GL drivers and
    // modules from these (shared objects, run in it); ImageMagick, which gm and imagemagick run for
    // a Node.js program, runs the commands of the delegates.xml MAGICK_CONFIGURE_PATH leads to and
    // loads coders from its module paths; Ghostscript runs the PostScript of GS_LIB's init files,
    // Tcl the pkgIndex.tcl of TCLLIBPATH.
    why: "makes graphics, media or image libraries load plugins or run commands of its choosing",
    names: [
      "GIO_EXTRA_MODULES",
      "GIO_MODULE_DIR",
      "GTK_PATH",
      "GTK_MODULES",
      "GTK_EXE_PREFIX",
      "QT_PLUGIN_PATH",
      "QT_QPA_PLATFORM_PLUGIN_PATH",
      "GST_PLUGIN_PATH",
      "GST_PLUGIN_PATH_1_0",
      "GST_PLUGIN_SYSTEM_PATH",
      "GST_PLUGIN_SYSTEM_PATH_1_0",
      "LIBVA_DRIVERS_PATH",
      "LIBGL_DRIVERS_PATH",
      "VK_ICD_FILENAMES",
      "VK_DRIVER_FILES",
      "VK_ADD_DRIVER_FILES",
      "VK_LAYER_PATH",
      "VK_ADD_LAYER_PATH",
      "__EGL_VENDOR_LIBRARY_FILENAMES",
      "__EGL_VENDOR_LIBRARY_DIRS",
      "MAGICK_CONFIGURE_PATH",
      "MAGICK_CODER_MODULE_PATH",
      "MAGICK_CODER_FILTER_PATH",
      "MAGICK_FILTER_MODULE_PATH",
      "MAGICK_HOME",
      "GS_LIB",
      "TCLLIBPATH",
    ],
    prefixes: [],
  },
  {
    // COMMAND runs through /bin/sh: start-up files, options, exported bash functions (which
    // replace commands), prompts and xtrace prefixes (expanded, so they run code), word splitting.
    why: "changes how shells start or read commands",
    names: ["BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "GLOBIGNORE", "FPATH", "ZDOTDIR"],
    prefixes: ["BASH_FUNC_"],
  },
  {
    // YARN_YARN_PATH is the yarn release yarn runs, YARN_RC_FILENAME its configuration;
    // COREPACK_NPM_REGISTRY is where corepack downloads the package manager it runs.
    why: "makes Node.js or its package managers load code or options",
    // NODE_REDIRECT_WARNINGS and NODE_V8_COVERAGE write files where they say; NODE_ICU_DATA and
    // NODE_COMPILE_CACHE are data and compiled code Node loads from where they say. The TypeScript
    // runners take their options from the environment too: ts-node's TS_NODE_COMPILER and
    // TS_NODE_TRANSPILER are modules it requires, TS_NODE_PROJECT (and tsx's and swc-node's
    // tsconfig) a configuration whose `ts-node.require` and `paths` load other code. A child
    // Node.js takes NODE_CHANNEL_FD as its parent's IPC channel (its messages, in the serialization
    // NODE_CHANNEL_SERIALIZATION_MODE names) and NODE_UNIQUE_ID as being a cluster worker;
    // ELECTRON_RUN_AS_NODE makes an Electron app the program starts run its arguments as a script.
    names: [
      "NODE_OPTIONS",
      "NODE_PATH",
      "NODE_REPL_EXTERNAL_MODULE",
      "NODE_ICU_DATA",
      "NODE_REDIRECT_WARNINGS",
      "NODE_V8_COVERAGE",
      "NODE_COMPILE_CACHE",
      "NODE_CHANNEL_FD",
      "NODE_CHANNEL_SERIALIZATION_MODE",
      "NODE_UNIQUE_ID",
      "ELECTRON_RUN_AS_NODE",
      "TSX_TSCONFIG_PATH",
      "SWC_NODE_PROJECT",
    ],
    prefixes: ["NPM_CONFIG_", "YARN_", "COREPACK_", "TS_NODE_"],
  },
  {
    // What a Node.js program's own libraries read once the loader has set them: Prisma Client
    // loads PRISMA_QUERY_ENGINE_LIBRARY into the program (the binary engines run as programs, and
    // the mirror is where the engines are downloaded from); Puppeteer, Playwright, chrome-launcher,
    // karma, Cypress and electron start the browser these name, find there, or download from there.
    // Every loader napi-rs generates (rolldown under Vite, SWC, oxc, lightningcss, @node-rs/*)
    // requires NAPI_RS_NATIVE_LIBRARY_PATH in place of its binding: any module, JavaScript too,
    // runs in the program the first time such a package is imported. esbuild (Vite, tsx) runs
    // ESBUILD_BINARY_PATH as its service; node-sass loads SASS_BINARY_PATH as its binding.
    why: "makes Node.js libraries load or run a native engine or browser of its choosing",
    names: [
      "NAPI_RS_NATIVE_LIBRARY_PATH",
      "ESBUILD_BINARY_PATH",
      "SASS_BINARY_PATH",
      "PRISMA_QUERY_ENGINE_LIBRARY",
      "PRISMA_QUERY_ENGINE_BINARY",
      "PRISMA_SCHEMA_ENGINE_BINARY",
      "PRISMA_MIGRATION_ENGINE_BINARY",
      "PRISMA_FMT_BINARY",
      "PRISMA_ENGINES_MIRROR",
      "PUPPETEER_EXECUTABLE_PATH",
      "PUPPETEER_DOWNLOAD_BASE_URL",
      "PUPPETEER_DOWNLOAD_HOST",
      "PUPPETEER_CHROME_DOWNLOAD_BASE_URL",
      "PUPPETEER_CHROME_HEADLESS_SHELL_DOWNLOAD_BASE_URL",
      "PUPPETEER_FIREFOX_DOWNLOAD_BASE_URL",
      "PUPPETEER_CACHE_DIR",
      "CYPRESS_RUN_BINARY",
      "CYPRESS_CACHE_FOLDER",
      "CYPRESS_INSTALL_BINARY",
      "CYPRESS_DOWNLOAD_MIRROR",
      "CYPRESS_DOWNLOAD_PATH_TEMPLATE",
      "PLAYWRIGHT_BROWSERS_PATH",
      "PLAYWRIGHT_DOWNLOAD_HOST",
      "PLAYWRIGHT_CHROMIUM_DOWNLOAD_HOST",
      "PLAYWRIGHT_FIREFOX_DOWNLOAD_HOST",
      "PLAYWRIGHT_WEBKIT_DOWNLOAD_HOST",
      "CHROME_PATH",
      "CHROME_BIN",
      "ELECTRON_OVERRIDE_DIST_PATH",
      "ELECTRON_MIRROR",
    ],
    prefixes: [],
  },
  {
    // `npm ci` builds native modules (node-gyp), pip builds wheels, cargo runs build scripts:
    // the compiler and linker are programs from these variables, and their flags load plugins
    // (-fplugin=, -B dir, -Wl,…); pkg-config's files add flags too. CMake's variables name
    // compilers and launchers (CMAKE_C_COMPILER_LAUNCHER), ccache's run a prefix command
    // (CCACHE_PREFIX), distcc's send the sources to other hosts.
    why: "chooses the compiler, linker or their flags that builds run",
    names: ["CC", "CXX", "CPP", "LD", "AR", "AS", "NM", "RANLIB", "STRIP", "FC", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "LDLIBS", "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"],
    prefixes: ["CMAKE_", "CCACHE_", "DISTCC_"],
  },
  {
    // PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONINSPECT, PYTHONWARNINGS (imports categories)…;
    // IPython runs the start-up scripts and the Python configuration files of IPYTHONDIR's
    // profile, and Jupyter the configuration files (Python too) of its configuration directories.
    why: "makes Python load code or look for modules elsewhere",
    names: ["IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH"],
    prefixes: ["PYTHON"],
  },
  {
    // PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, PERLIO (layers load modules); RUBYOPT, RUBYLIB;
    // Bundler's Gemfile, install path, configuration directory and mirrors (its other BUNDLE_
    // variables are often credentials for a gem server, so the prefix as a whole is not refused);
    // IRB (a Rails console) and Pry run the Ruby start-up file IRBRC and PRYRC name.
    why: "makes Perl or Ruby load code or look for modules elsewhere",
    names: ["GEM_HOME", "GEM_PATH", "IRBRC", "PRYRC", "BUNDLE_GEMFILE", "BUNDLE_PATH", "BUNDLE_APP_CONFIG", "BUNDLE_USER_CONFIG", "BUNDLE_USER_HOME"],
    prefixes: ["PERL", "RUBY", "BUNDLE_MIRROR__"],
  },
  {
    // -javaagent, -XX:OnOutOfMemoryError=cmd, another JVM or class path; .NET profilers and hooks,
    // and the runtime an app starts (DOTNET_ROOT). Gradle runs every script in its user home's
    // init.d; Maven 3.9 adds MAVEN_ARGS to its arguments (-Dmaven.ext.class.path loads an extension),
    // and takes JVM options (-javaagent) from .mvn/jvm.config in MAVEN_BASEDIR; the Maven Wrapper
    // downloads Maven from MVNW_REPOURL and runs the copy cached in MAVEN_USER_HOME. mvn passes
    // MAVEN_DEBUG_OPTS to the JVM as it passes MAVEN_OPTS.
    why: "makes the JVM or .NET load code or options",
    names: [
      "JAVA_TOOL_OPTIONS",
      "_JAVA_OPTIONS",
      "JDK_JAVA_OPTIONS",
      "JAVA_OPTS",
      "JAVA_HOME",
      "CLASSPATH",
      "MAVEN_OPTS",
      "MAVEN_DEBUG_OPTS",
      "MAVEN_ARGS",
      "MAVEN_BASEDIR",
      "MAVEN_USER_HOME",
      "MVNW_REPOURL",
      "GRADLE_OPTS",
      "GRADLE_USER_HOME",
      "SBT_OPTS",
      "ANT_OPTS",
      "DOTNET_ROOT",
      "DOTNET_STARTUP_HOOKS",
      "DOTNET_ADDITIONAL_DEPS",
      "CORECLR_ENABLE_PROFILING",
      "COR_ENABLE_PROFILING",
    ],
    prefixes: ["CORECLR_PROFILER", "COR_PROFILER"],
  },
  {
    // LUA_INIT (code run at start-up, or @file), LUA_PATH/LUA_CPATH (modules); PHPRC and the
    // scan directory (auto_prepend_file runs a file before every script).
    why: "makes Lua or PHP run code or read configuration of its choosing",
    names: ["PHPRC", "PHP_INI_SCAN_DIR"],
    prefixes: ["LUA_"],
  },
  {
    // R sources its profile and environment files at start-up and loads packages from R_LIBS;
    // Julia runs config/startup.jl from the first depot; PowerShell imports a module from
    // PSModulePath the first time one of its commands is used.
    why: "makes R, Julia or PowerShell run code or load modules of the file's choosing",
    names: ["R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS", "R_LIBS_USER", "R_LIBS_SITE", "JULIA_DEPOT_PATH", "JULIA_LOAD_PATH", "PSMODULEPATH"],
    prefixes: [],
  },
  {
    // RUSTC_WRAPPER runs a program for every compilation; CARGO_* sets any cargo configuration
    // (CARGO_TARGET_<triple>_RUNNER, CARGO_BUILD_RUSTC_WRAPPER, CARGO_HOME's config.toml);
    // RUSTUP_* picks the toolchain cargo runs, and where rustup downloads one a repository's
    // rust-toolchain.toml pins (RUSTUP_DIST_SERVER, with RUSTUP_AUTO_INSTALL), checked only
    // against hashes from that same server.
    why: "makes cargo or rustc run other programs",
    names: ["RUSTC", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER", "RUSTDOC", "RUSTFLAGS", "RUSTDOCFLAGS"],
    prefixes: ["CARGO_", "RUSTUP_"],
  },
  {
    // OPENSSL_CONF can load a provider or engine module (a shared object) into any program
    // linked with OpenSSL: openssl, curl, python, ruby, git over https.
    why: "makes OpenSSL load configuration or modules",
    names: [],
    prefixes: ["OPENSSL_"],
  },
  {
    // GOFLAGS=-toolexec=prog, another toolchain or GOROOT, a go.env file of settings; cgo's
    // compiler flags (CGO_CFLAGS=-wrapper prog); where modules come from and whether their
    // checksums are checked (GOPROXY, GOSUMDB, GONOSUMDB, GOINSECURE…), a go.work file, and the
    // caches and paths whose contents are built and run (GOCACHE, GOMODCACHE, GOPATH). Not the
    // whole GO prefix: GOOGLE_CLOUD_PROJECT and the like are ordinary settings.
    why: "makes the Go tool run other programs or build modules of the file's choosing",
    names: ["GOFLAGS", "GOROOT", "GOTOOLCHAIN", "GOENV", "GOPROXY", "GONOPROXY", "GOSUMDB", "GONOSUMDB", "GONOSUMCHECK", "GOINSECURE", "GOPRIVATE", "GOWORK", "GOCACHE", "GOMODCACHE", "GOPATH", "GOBIN", "GOEXPERIMENT", "GODEBUG"],
    prefixes: ["CGO_"],
  },
  {
    // ERL_AFLAGS/ERL_FLAGS/ERL_ZFLAGS add emulator flags (`-eval` runs code), ERL_LIBS adds code
    // paths; Elixir passes ELIXIR_ERL_OPTIONS on, Mix reads its project file from MIX_EXS, Hex
    // downloads packages from HEX_MIRROR.
    why: "makes Erlang or Elixir run code or load packages of the file's choosing",
    names: ["ELIXIR_ERL_OPTIONS", "MIX_EXS", "MIX_ARCHIVES", "MIX_PATH", "HEX_MIRROR", "HEX_UNSAFE_HTTPS", "HEX_UNSAFE_REGISTRY"],
    prefixes: ["ERL_"],
  },
  {
    // A CLI configuration file can override where providers come from (provider_installation,
    // dev_overrides): terraform then runs the file author's provider binaries. TF_CLI_ARGS and
    // TF_CLI_ARGS_<command> are arguments added to every command: -plugin-dir (providers from the
    // repository), -backend-config (the state, which holds every secret the configuration
    // touches, sent to a backend of the file's choosing). TF_DATA_DIR is the directory where
    // `init` recorded that backend: a committed one sends plan's and apply's state there, no
    // init asked. TF_REATTACH_PROVIDERS names addresses where providers already run: terraform
    // connects there instead of starting them, with no init, and a provider is sent its
    // configuration and every resource's state. The http backend takes the address it sends the
    // state and its TF_HTTP_PASSWORD to from TF_HTTP_ADDRESS when the configuration leaves it out
    // (GitLab's managed state). TF_VAR_ values are inputs, not settings.
    why: "makes Terraform run providers, take arguments or send its state where the file says",
    names: ["TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG", "TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR", "TF_REATTACH_PROVIDERS", "TF_HTTP_ADDRESS", "TF_HTTP_LOCK_ADDRESS", "TF_HTTP_UNLOCK_ADDRESS"],
    prefixes: ["TF_CLI_ARGS"],
  },
  {
    // ANSIBLE_CONFIG (an ansible.cfg), ANSIBLE_SSH_ARGS (-o ProxyCommand=… runs a command),
    // ANSIBLE_VAULT_PASSWORD_FILE and ANSIBLE_BECOME_PASSWORD_FILE (run when executable), the
    // plugin, module and interpreter paths: nearly every setting can run code.
    why: "makes Ansible run code or commands of the file's choosing",
    names: [],
    prefixes: ["ANSIBLE_"],
  },
  {
    // Helm's settings are its command-line flags: HELM_PLUGINS is where it finds the plugins it
    // runs (`helm diff`, a downloader for a chart's URL scheme, a post-renderer), HELM_KUBEAPISERVER
    // with HELM_KUBEINSECURE_SKIP_TLS_VERIFY or HELM_KUBECAFILE sends the bearer token of the
    // caller's kubeconfig (an EKS or GKE token its exec plugin fetched) to a server of the file's
    // choosing, HELM_REPOSITORY_CONFIG and HELM_REGISTRY_CONFIG pick where charts come from.
    why: "makes Helm run plugins, or send your cluster credentials or take charts, where the file says",
    names: [],
    prefixes: ["HELM_"],
  },
  {
    // PULUMI_BACKEND_URL is where `pulumi up` reads and writes the stack's state and sends
    // PULUMI_ACCESS_TOKEN; PULUMI_HOME holds the plugins (providers) pulumi runs and the stored
    // tokens. The passphrase and the access token themselves are secrets and pass.
    why: "makes Pulumi run plugins or send its state and token where the file says",
    names: ["PULUMI_BACKEND_URL", "PULUMI_HOME"],
    prefixes: [],
  },
  {
    // GIT_SSH_COMMAND, GIT_EXEC_PATH, GIT_CONFIG_* (any setting: core.fsmonitor, core.sshCommand),
    // GIT_DIR, GIT_ASKPASS, GIT_PAGER, GIT_EDITOR, GIT_EXTERNAL_DIFF, GIT_SSL_NO_VERIFY…
    why: "tells git which programs to run or which configuration and repository to use",
    names: [],
    prefixes: ["GIT_"],
  },
  {
    // Commands that common tools run on the user's behalf (git, less, man, sudo, make…).
    why: "names a command that other programs run",
    // MAKEFILES names makefiles make reads before the project's own. rsync runs RSYNC_RSH as its
    // remote shell and RSYNC_CONNECT_PROG to reach a daemon (a deploy's `rsync -a dist/ host:`),
    // Subversion and CVS their SVN_SSH and CVS_RSH; `kubectl diff` runs KUBECTL_EXTERNAL_DIFF,
    // `kubectl edit` KUBE_EDITOR; gcloud is a Python program run by CLOUDSDK_PYTHON with the
    // arguments in CLOUDSDK_PYTHON_ARGS (`-c` runs code), gsutil and bq by their own interpreters;
    // node-gyp (`npm ci` with native modules) runs NODE_GYP_FORCE_PYTHON. Tools name their own
    // pager, editor, password prompt and browser with their prefix (the aws CLI v2 runs AWS_PAGER
    // with every command's output, gh GH_PAGER and GH_EDITOR, systemctl SYSTEMD_PAGER, sudoedit
    // SUDO_EDITOR, Mercurial HGEDITOR): the suffixes cover those no list names. OpenSSH runs
    // SSH_SK_HELPER for a security key (FIDO) in place of its own ssh-sk-helper: ssh-keygen 9.2
    // ran it, and ssh and ssh-agent start it to sign with such a key (`git push` over ssh).
    names: ["SHELL", "EDITOR", "VISUAL", "SOPS_EDITOR", "PAGER", "MANPAGER", "BROWSER", "SSH_ASKPASS", "SSH_SK_HELPER", "SUDO_ASKPASS", "MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "RSYNC_RSH", "RSYNC_CONNECT_PROG", "SVN_SSH", "CVS_RSH", "KUBECTL_EXTERNAL_DIFF", "KUBE_EDITOR", "CLOUDSDK_GSUTIL_PYTHON", "CLOUDSDK_BQ_PYTHON", "NODE_GYP_FORCE_PYTHON"],
    prefixes: ["CLOUDSDK_PYTHON"],
    suffixes: ["PAGER", "EDITOR", "ASKPASS", "BROWSER"],
  },
  {
    // A version manager's shims stand for python, pip, ruby, node, aws…: pyenv and rbenv (and
    // their kin) source every script in their *_HOOK_PATH before running the program, and take
    // the program from their root; asdf sources its plugins' scripts from ASDF_DATA_DIR, mise
    // runs the scripts its configuration sources. A relative path names the repository's files.
    why: "makes a version manager's shims run scripts or programs of the file's choosing",
    names: [],
    prefixes: ["PYENV_", "RBENV_", "NODENV_", "GOENV_", "JENV_", "PLENV_", "PHPENV_", "LUAENV_", "ASDF_", "MISE_"],
  },
  {
    // The command's own sops or hush (a deploy script decrypting another file, an app using the
    // loader): SOPS_AGE_KEY_CMD and SOPS_AGE_SSH_PRIVATE_KEY_CMD run a command for keys,
    // SOPS_GPG_EXEC names the gpg to run, SOPS_CONFIG and SOPS_AGE_RECIPIENTS, SOPS_PGP_FP,
    // SOPS_KMS_ARN… choose whom new files are encrypted to, HUSH_VAULT_ADDRS and the other HUSH_
    // settings widen which key servers hush trusts, HUSH_ENV_FILE picks what the loader reads.
    // Whole prefixes: each sops release adds variables.
    why: "tells sops or hush which commands to run, whom to encrypt to or which key servers to trust",
    names: [],
    prefixes: ["SOPS_", "HUSH_"],
  },
  {
    // less: LESSOPEN/LESSCLOSE run input filters, LESSKEYIN/LESSKEY name key bindings (which can
    // run shell commands), LESS holds options; vi's start-up commands run shell commands too.
    why: "gives a pager or editor start-up commands",
    names: ["LESS", "LESSOPEN", "LESSCLOSE", "LESSKEY", "LESSKEYIN", "LESSKEY_SRC", "LESSKEY_SYSTEM", "LESSKEYIN_SYSTEM", "LESSEDIT", "VIMINIT", "GVIMINIT", "EXINIT", "MYVIMRC", "VIMRUNTIME", "NVIM_APPNAME"],
    prefixes: [],
  },
  {
    // A program with a command history rewrites its history file when it ends: less 590 replaced
    // a 3,000-line file with its own three lines (git log's pager, at a terminal), bash cut one to
    // HISTFILESIZE (500) lines, Node's REPL to 999. Named by a file, the history file is any file
    // of the user's (`.ssh/authorized_keys`), and what was typed lands there.
    why: "makes a program overwrite a file of the file's choosing with its history",
    names: ["NODE_REPL_HISTORY", "PSQL_HISTORY", "SQLITE_HISTORY"],
    prefixes: [],
    suffixes: ["HISTFILE"],
  },
  {
    // psql runs its start-up files (PSQLRC, and `psqlrc` in PGSYSCONFDIR) after connecting, `-c`
    // or not, and `\!` in them runs a shell command: a deploy's `psql "$DATABASE_URL" -c …`.
    why: "gives psql start-up commands or programs to run",
    names: ["PSQLRC", "PGSYSCONFDIR", "PSQL_EDITOR", "PSQL_PAGER"],
    prefixes: [],
  },
  {
    // A configuration directory in the repository can run code: .gitconfig's core.fsmonitor,
    // a kubeconfig's exec credential plugin, AWS's credential_process.
    why: "decides where programs read configuration that can name commands to run",
    // AWS_SHARED_CREDENTIALS_FILE's credential_process, curl's .curlrc, pip's configuration (any
    // PIP_ option: the index packages are installed from), Docker's credential helpers, gpg's home
    // (its gpg.conf and agent), wget's start-up files (SYSTEM_WGETRC is read before WGETRC: a
    // proxy, certificate checks off) and netrc files; uv's settings (indexes, the Python it runs,
    // its configuration file) and Poetry's repositories and configuration directory (not its
    // POETRY_HTTP_BASIC_* and POETRY_PYPI_TOKEN_* credentials), the index pipenv installs from.
    // gcloud's and az's configuration directories; az loads its extensions, Python code, from
    // AZURE_EXTENSION_DIR. XDG_CACHE_HOME holds compiled code programs run unchecked: the bundled
    // hush's V8 code cache, pre-commit's hook environments, built wheels. A Google credential file
    // (GOOGLE_APPLICATION_CREDENTIALS, gcloud's CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE) can be an
    // external account whose token comes from a program it names, which Google's libraries run;
    // the Vault CLI's configuration names a token helper it runs for every command. Mercurial's
    // configuration (HGRCPATH) names hooks, commands it runs; conda's (CONDARC) the channels it
    // installs packages from; Bun installs from BUN_CONFIG_REGISTRY; Deno runs the remote modules
    // it cached in DENO_DIR as they are there.
    names: [
      "XDG_CACHE_HOME",
      "HOME",
      "XDG_CONFIG_HOME",
      "XDG_CONFIG_DIRS",
      "KUBECONFIG",
      "AWS_CONFIG_FILE",
      "AWS_SHARED_CREDENTIALS_FILE",
      "CURL_HOME",
      "WGETRC",
      "SYSTEM_WGETRC",
      "NETRC",
      "DOCKER_CONFIG",
      "GNUPGHOME",
      "POETRY_CONFIG_DIR",
      "POETRY_HOME",
      "PIPENV_PYPI_MIRROR",
      "CLOUDSDK_CONFIG",
      "AZURE_CONFIG_DIR",
      "AZURE_EXTENSION_DIR",
      "GOOGLE_APPLICATION_CREDENTIALS",
      "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
      "VAULT_CONFIG_PATH",
      "HGRCPATH",
      "CONDARC",
      "BUN_CONFIG_REGISTRY",
      "DENO_DIR",
    ],
    prefixes: ["PIP_", "UV_", "POETRY_REPOSITORIES_"],
  },
  {
    // A child `hush edit` (or sops) keeps the plaintext it edits in a private directory here, on
    // disk if the file names a directory of the user's that is no tmpfs; gpg, ssh, D-Bus and
    // Wayland clients look for their agents' and servers' sockets here, and a program that
    // creates its own files here trusts the directory to be the user's alone.
    why: "decides where programs keep private files and find their agents' sockets",
    names: ["XDG_RUNTIME_DIR"],
    prefixes: [],
  },
  {
    // Google's libraries and gcloud run the program an external account credential names only
    // when this is 1: set by a file, the credential a file also names (or GOOGLE_CREDENTIALS, a
    // secret that passes) runs the file's program.
    why: "lets programs run the commands their credential configuration names",
    names: ["GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"],
    prefixes: [],
  },
  {
    // A proxy sees every plain-HTTP request and the host of every CONNECT; an endpoint or daemon
    // of the file's choosing receives the requests themselves, signed or with credentials.
    // AWS_DATA_PATH is where botocore (the aws CLI, boto3) reads service models and endpoint
    // rules first: a repository's rules send each signed request, session token included, anywhere.
    // global-agent (GLOBAL_AGENT_*) routes every http and https request of a Node.js program.
    why: "sends programs' traffic, or their credentials, through a server of the file's choosing",
    names: ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY", "GRPC_PROXY", "SOCKS_PROXY", "SOCKS5_SERVER", "RSYNC_PROXY", "DOCKER_HOST", "CONTAINER_HOST", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "VAULT_ADDR", "VAULT_AGENT_ADDR", "CONSUL_HTTP_ADDR", "NOMAD_ADDR", "AWS_DATA_PATH", "GLOBAL_AGENT_HTTP_PROXY", "GLOBAL_AGENT_HTTPS_PROXY"],
    prefixes: ["AWS_ENDPOINT_URL"],
  },
  {
    // Where the caller's own cloud credentials go, or whose tokens a program takes: Azure's
    // client secret and certificate assertions go to AZURE_AUTHORITY_HOST, App Service's identity
    // header to IDENTITY_ENDPOINT (MSI_ENDPOINT before it), managed-identity and GCE tokens come
    // from the metadata address; OpenBao's token goes to BAO_ADDR, Vault's through its proxy
    // settings; gcloud sends its token to an endpoint override or through its proxy, and its
    // refresh token and client secret to its auth settings' token endpoint (CLOUDSDK_AUTH_*: the
    // token and authorization hosts, TLS validation, where its credential or token is read).
    // In GitHub Actions the runner's ACTIONS_ variables say where the job's tokens go:
    // @actions/core's getIDToken sent ACTIONS_ID_TOKEN_REQUEST_TOKEN, which gets the workflow's
    // OIDC tokens (and with them its cloud roles), to ACTIONS_ID_TOKEN_REQUEST_URL; Octokit
    // (@actions/github) sends GITHUB_TOKEN to GITHUB_API_URL, gh its enterprise token to GH_HOST.
    // In GitLab CI, release-cli sends CI_JOB_TOKEN to CI_SERVER_URL, and the documented uploads
    // (`curl --header "JOB-TOKEN: $CI_JOB_TOKEN" "$CI_API_V4_URL/projects/…"`) to CI_API_V4_URL;
    // glab sends GITLAB_TOKEN to GITLAB_HOST (GL_HOST).
    // Azure's libraries get a token for another tenant than the credential's, which a service's
    // authentication challenge names (a key vault's does), only for the tenants
    // AZURE_ADDITIONALLY_ALLOWED_TENANTS lists: `*` lets a vault in any tenant be sent one.
    // Kerberos libraries (GSSAPI logins to databases, HTTP Negotiate) ask the KDCs KRB5_CONFIG's
    // file names and act as whoever the ticket cache or key table in KRB5CCNAME, KRB5_KTNAME and
    // KRB5_CLIENT_KTNAME is.
    why: "sends your cloud or CI credentials to, or takes tokens from, a server of the file's choosing",
    names: [
      "KRB5_CONFIG",
      "KRB5CCNAME",
      "KRB5_KTNAME",
      "KRB5_CLIENT_KTNAME",
      "AZURE_AUTHORITY_HOST",
      "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
      "IDENTITY_ENDPOINT",
      "MSI_ENDPOINT",
      "IMDS_ENDPOINT",
      "AZURE_POD_IDENTITY_AUTHORITY_HOST",
      "GCE_METADATA_HOST",
      "GCE_METADATA_IP",
      "GCE_METADATA_ROOT",
      "BAO_ADDR",
      "BAO_AGENT_ADDR",
      "VAULT_PROXY_ADDR",
      "VAULT_HTTP_PROXY",
      "GITHUB_API_URL",
      "GITHUB_GRAPHQL_URL",
      "GITHUB_SERVER_URL",
      "GH_HOST",
      "CI_SERVER_URL",
      "CI_API_V4_URL",
      "CI_API_GRAPHQL_URL",
      "GITLAB_HOST",
      "GL_HOST",
    ],
    prefixes: ["CLOUDSDK_API_ENDPOINT_OVERRIDES_", "CLOUDSDK_PROXY_", "CLOUDSDK_AUTH_", "ACTIONS_"],
  },
  {
    // TLS libraries append every session's keys to this file: the traffic can be read later.
    why: "records programs' TLS session keys in a file",
    names: ["SSLKEYLOGFILE"],
    prefixes: [],
  },
  {
    // The command's connections, and the secrets it sends over them, could be intercepted. The
    // docker CLI takes the CA it trusts for a TLS daemon from DOCKER_CERT_PATH.
    why: "changes which TLS certificates programs trust",
    names: ["DOCKER_CERT_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_SKIP_VERIFY", "VAULT_TLS_SERVER_NAME", "DENO_CERT", "DENO_TLS_CA_STORE"],
    prefixes: [],
  },
];
