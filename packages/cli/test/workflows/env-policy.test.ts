import { describe, expect, it } from "vitest";
import { REFUSED_ENV_FAMILIES } from "../../src/workflows/env-families.ts";
import { checkEnvironmentNames, INDEX_FROM, startupVariableReason, startupVariableReasonOf } from "../../src/workflows/env-policy.ts";

describe("exec-env's variable policy", () => {
  it("gives a long list of names the reasons it gives each name alone (the first family that lists it, one of its prefixes or suffixes)", () => {
    const names = REFUSED_ENV_FAMILIES.flatMap((f) => [
      ...f.names,
      ...f.names.map((n) => n.toLowerCase()),
      ...f.prefixes.flatMap((p) => [p, `${p}X`, `${p.slice(0, -1)}`]),
      ...(f.suffixes ?? []).flatMap((s) => [s, `X${s}`, s.slice(1)]),
      ...f.prefixes.flatMap((p) => REFUSED_ENV_FAMILIES.flatMap((g) => g.suffixes ?? []).map((s) => `${p}${s}`)),
      ...f.prefixes.flatMap((p) => REFUSED_ENV_FAMILIES.flatMap((g) => g.names).map((n) => `${p}${n}`)),
      "APP_SECRET",
      "DATABASE_URL",
      "",
    ]);
    expect(names.length).toBeGreaterThan(INDEX_FROM);
    const reasonOf = startupVariableReasonOf(names.length);
    expect(reasonOf).not.toBe(startupVariableReason);
    for (const name of names) expect(reasonOf(name), name).toBe(startupVariableReason(name));
  });

  it("refuses start-up variables by exact name and by family prefix, whatever the case", () => {
    for (const name of ["PATH", "path", "LD_AUDIT", "DYLD_LIBRARY_PATH", "BASH_FUNC_cd%%", "PYTHONHOME", "PERL5LIB", "RUBYLIB", "GIT_EXEC_PATH", "GIT_CONFIG_KEY_0", "npm_config_script_shell", "CORECLR_PROFILER_PATH_64", "OPENSSL_CONF", "https_proxy", "AWS_ENDPOINT_URL_STS", "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER", "PIP_INDEX_URL", "LUA_INIT_5_4", "SSLKEYLOGFILE", "LESSKEYIN"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
  });

  it("refuses the build tools' variables that run code or pick where packages come from (make, cgo, go, cmake, ccache, Erlang, Terraform, uv, Poetry, Bundler, Node)", () => {
    for (const name of ["MAKEFILES", "CGO_CFLAGS", "CGO_LDFLAGS", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOINSECURE", "GOWORK", "GOMODCACHE", "CMAKE_C_COMPILER_LAUNCHER", "CCACHE_PREFIX", "ERL_AFLAGS", "ERL_FLAGS", "ELIXIR_ERL_OPTIONS", "TF_CLI_CONFIG_FILE", "UV_INDEX_URL", "UV_PYTHON", "POETRY_REPOSITORIES_INTERNAL_URL", "BUNDLE_PATH", "BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/", "NODE_ICU_DATA", "NODE_REDIRECT_WARNINGS"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
  });

  it("refuses what makes Gradle, Maven, sbt, Ant, .NET, R, Julia or PowerShell run code of the file's choosing", () => {
    // Gradle runs every script in GRADLE_USER_HOME/init.d; Maven 3.9 takes MAVEN_ARGS as arguments
    // (-Dmaven.ext.class.path loads an extension); R sources its profile files at start-up, Julia
    // its depot's config/startup.jl; PowerShell imports modules from PSModulePath on first use.
    for (const name of ["GRADLE_USER_HOME", "MAVEN_ARGS", "SBT_OPTS", "ANT_OPTS", "DOTNET_ROOT", "R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS", "R_LIBS_USER", "R_LIBS_SITE", "JULIA_DEPOT_PATH", "JULIA_LOAD_PATH", "PSModulePath"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    for (const name of ["R_API_KEY", "JULIA_NUM_THREADS", "GRADLE_ENCRYPTION_KEY", "MAVEN_REPO_PASSWORD"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("refuses the variables that say where the caller's cloud credentials go or where its tokens come from", () => {
    for (const name of ["AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "GCE_METADATA_HOST", "gce_metadata_ip", "GCE_METADATA_ROOT", "BAO_ADDR", "BAO_AGENT_ADDR", "VAULT_PROXY_ADDR", "VAULT_HTTP_PROXY", "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS", "CLOUDSDK_PROXY_ADDRESS"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    for (const name of ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "IDENTITY_HEADER", "VAULT_TOKEN", "BAO_TOKEN", "CLOUDSDK_CORE_PROJECT"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("refuses the tenants Azure's libraries may get the caller's tokens for: a key vault in any tenant could be handed one", () => {
    expect(startupVariableReason("AZURE_ADDITIONALLY_ALLOWED_TENANTS")).toBe("sends your cloud or CI credentials to, or takes tokens from, a server of the file's choosing");
    expect(startupVariableReason("azure_additionally_allowed_tenants")).toBeDefined();
  });

  it("refuses XDG_RUNTIME_DIR: a child hush edit would keep its plaintext there, and programs look for their agents' sockets there", () => {
    expect(startupVariableReason("XDG_RUNTIME_DIR")).toBe("decides where programs keep private files and find their agents' sockets");
    for (const name of ["XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "RUNTIME_DIR"]) expect(startupVariableReason(name), name).toBeUndefined();
  });

  it("refuses Google and Vault credential configuration that names a program to run, and gcloud's credential settings", () => {
    // An external account credential runs the program it names once executables are allowed;
    // gcloud sends its refresh token to CLOUDSDK_AUTH_TOKEN_HOST; the Vault CLI runs its token helper.
    for (const name of ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "CLOUDSDK_AUTH_TOKEN_HOST", "cloudsdk_auth_disable_ssl_validation", "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE", "VAULT_CONFIG_PATH"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    expect(startupVariableReason("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES")).toBe("lets programs run the commands their credential configuration names");
    for (const name of ["GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_CORE_ACCOUNT", "VAULT_NAMESPACE"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("refuses what wrapper scripts and version managers' shims pass to the interpreter or run (gcloud's Python arguments, pyenv's hooks, rustup's download server, psql's start-up file, botocore's endpoint rules)", () => {
    for (const name of ["CLOUDSDK_PYTHON", "CLOUDSDK_PYTHON_ARGS", "CLOUDSDK_PYTHON_SITEPACKAGES", "CLOUDSDK_GSUTIL_PYTHON", "CLOUDSDK_BQ_PYTHON", "PYENV_HOOK_PATH", "PYENV_ROOT", "RUSTUP_DIST_SERVER", "RUSTUP_UPDATE_ROOT", "RUSTUP_AUTO_INSTALL", "PSQLRC", "PGSYSCONFDIR", "PSQL_PAGER", "AWS_DATA_PATH", "TF_DATA_DIR", "MAVEN_BASEDIR", "MVNW_REPOURL", "MAVEN_USER_HOME", "SYSTEM_WGETRC", "RBENV_HOOK_PATH", "NODENV_HOOK_PATH", "GOENV_HOOK_PATH", "ASDF_DATA_DIR", "MISE_DATA_DIR"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    for (const name of ["CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT", "NODE_ENV", "RAILS_ENV", "PGPASSWORD", "PGUSER"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("refuses the pager, editor, password prompt and browser that a tool names with its own prefix, Terraform's provider addresses and state backend address, Maven's debug JVM options, the history files programs rewrite, the start-up files of IPython, Jupyter, IRB and Pry, where GitHub Actions' tokens go, the CA the docker CLI trusts, and OpenSSH's security key library", () => {
    for (const name of ["AWS_PAGER", "GH_PAGER", "SYSTEMD_PAGER", "BAT_PAGER", "GH_EDITOR", "SUDO_EDITOR", "HGEDITOR", "SYSTEMD_EDITOR", "GIT_ASKPASS", "DOTNET_ASKPASS", "GH_BROWSER", "TF_REATTACH_PROVIDERS", "TF_HTTP_ADDRESS", "TF_HTTP_LOCK_ADDRESS", "TF_HTTP_UNLOCK_ADDRESS", "MAVEN_DEBUG_OPTS", "HISTFILE", "LESSHISTFILE", "MYSQL_HISTFILE", "REDISCLI_HISTFILE", "NODE_REPL_HISTORY", "PSQL_HISTORY", "SQLITE_HISTORY", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "IRBRC", "PRYRC", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_RUNTIME_URL", "ACTIONS_RESULTS_URL", "GITHUB_API_URL", "GH_HOST", "DOCKER_CERT_PATH", "SSH_SK_PROVIDER"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
  });

  it("refuses what makes a Node.js program's libraries load or run a native engine or browser of the file's choosing, or send their traffic through its proxy", () => {
    // Prisma Client loads its query engine library into the program (binary engines run);
    // Puppeteer, Playwright, chrome-launcher, karma and electron start the browser these name or
    // download it from there; global-agent routes every http and https request of the program.
    for (const name of ["PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_QUERY_ENGINE_BINARY", "PRISMA_SCHEMA_ENGINE_BINARY", "PRISMA_MIGRATION_ENGINE_BINARY", "PRISMA_FMT_BINARY", "PRISMA_ENGINES_MIRROR", "PUPPETEER_EXECUTABLE_PATH", "PUPPETEER_DOWNLOAD_BASE_URL", "PUPPETEER_DOWNLOAD_HOST", "PLAYWRIGHT_BROWSERS_PATH", "PLAYWRIGHT_DOWNLOAD_HOST", "CHROME_PATH", "CHROME_BIN", "ELECTRON_OVERRIDE_DIST_PATH", "ELECTRON_MIRROR", "GLOBAL_AGENT_HTTP_PROXY", "global_agent_https_proxy"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    // Puppeteer reads each browser's mirror as PUPPETEER_<BROWSER>_DOWNLOAD_BASE_URL, Playwright as PLAYWRIGHT_<BROWSER>_DOWNLOAD_HOST.
    for (const name of ["PUPPETEER_CHROME_DOWNLOAD_BASE_URL", "PUPPETEER_CHROME_HEADLESS_SHELL_DOWNLOAD_BASE_URL", "PUPPETEER_FIREFOX_DOWNLOAD_BASE_URL", "PLAYWRIGHT_CHROMIUM_DOWNLOAD_HOST", "PLAYWRIGHT_FIREFOX_DOWNLOAD_HOST", "PLAYWRIGHT_WEBKIT_DOWNLOAD_HOST"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    for (const name of ["DATABASE_URL", "PRISMA_HIDE_UPDATE_MESSAGE", "PUPPETEER_SKIP_DOWNLOAD"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("refuses GIO's module directory, Mercurial's and conda's configuration, Bun's registry, Deno's module cache and the CAs Deno trusts, as their siblings already were", () => {
    expect(startupVariableReason("GIO_MODULE_DIR")).toBe("makes graphics, media or image libraries load plugins or run commands of its choosing");
    for (const name of ["HGRCPATH", "CONDARC", "BUN_CONFIG_REGISTRY", "DENO_DIR"]) {
      expect(startupVariableReason(name), name).toBe("decides where programs read configuration that can name commands to run");
    }
    for (const name of ["DENO_CERT", "DENO_TLS_CA_STORE"]) expect(startupVariableReason(name), name).toBe("changes which TLS certificates programs trust");
    for (const name of ["DENO_ENV", "BUN_ENV", "HGUSER"]) expect(startupVariableReason(name), name).toBeUndefined();
  });

  it("refuses the plugin paths of the libraries a browser, image or media program loads (GTK, GIO, Qt, GStreamer, Vulkan, EGL, GL, VA-API), and ImageMagick's, Ghostscript's and Tcl's", () => {
    for (const name of ["GIO_EXTRA_MODULES", "GTK_PATH", "GTK_MODULES", "QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH", "GST_PLUGIN_PATH", "GST_PLUGIN_SYSTEM_PATH", "LIBVA_DRIVERS_PATH", "LIBGL_DRIVERS_PATH", "VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_LAYER_PATH", "__EGL_VENDOR_LIBRARY_FILENAMES", "MAGICK_CONFIGURE_PATH", "MAGICK_CODER_MODULE_PATH", "GS_LIB", "TCLLIBPATH"]) {
      expect(startupVariableReason(name), name).toBe("makes graphics, media or image libraries load plugins or run commands of its choosing");
    }
    for (const name of ["DISPLAY", "QT_QPA_PLATFORM", "MAGICK_THREAD_LIMIT"]) expect(startupVariableReason(name), name).toBeUndefined();
  });

  it("refuses the TypeScript runners' options a child started with ts-node, tsx or swc-node reads: the compiler and transpiler modules ts-node requires, and the project whose settings load code", () => {
    for (const name of ["TS_NODE_COMPILER", "TS_NODE_TRANSPILER", "TS_NODE_PROJECT", "TS_NODE_COMPILER_OPTIONS", "ts_node_files", "TSX_TSCONFIG_PATH", "SWC_NODE_PROJECT"]) {
      expect(startupVariableReason(name), name).toBe("makes Node.js or its package managers load code or options");
    }
  });

  it("refuses what makes a Node.js child take a channel for its parent's IPC or its cluster's, or an Electron app run its arguments as a script, and the Kerberos configuration, ticket cache and key tables", () => {
    for (const name of ["NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "NODE_UNIQUE_ID", "ELECTRON_RUN_AS_NODE"]) {
      expect(startupVariableReason(name), name).toBe("makes Node.js or its package managers load code or options");
    }
    for (const name of ["KRB5_CONFIG", "KRB5CCNAME", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME"]) {
      expect(startupVariableReason(name), name).toBe("sends your cloud or CI credentials to, or takes tokens from, a server of the file's choosing");
    }
  });

  it("refuses the binding napi-rs loaders require first (rolldown under Vite, SWC, oxc), esbuild's and node-sass's binaries, and where Cypress and Puppeteer find or download the browser they run", () => {
    for (const name of ["NAPI_RS_NATIVE_LIBRARY_PATH", "ESBUILD_BINARY_PATH", "SASS_BINARY_PATH", "PUPPETEER_CACHE_DIR", "CYPRESS_RUN_BINARY", "CYPRESS_CACHE_FOLDER", "CYPRESS_INSTALL_BINARY", "CYPRESS_DOWNLOAD_MIRROR", "CYPRESS_DOWNLOAD_PATH_TEMPLATE"]) {
      expect(startupVariableReason(name), name).toBe("makes Node.js libraries load or run a native engine or browser of its choosing");
    }
    // Cypress reads the rest of its prefix as the tests' own settings (CYPRESS_BASE_URL).
    for (const name of ["CYPRESS_BASE_URL", "CYPRESS_RECORD_KEY"]) expect(startupVariableReason(name), name).toBeUndefined();
  });

  it("refuses what sends a deploy's cluster, state or CI credentials elsewhere through Helm, Pulumi or GitLab's tools, and lets their secrets through", () => {
    // helm's kube settings send the kubeconfig's token to the API server they name; pulumi sends
    // PULUMI_ACCESS_TOKEN and the state to its backend; release-cli and the documented curl
    // uploads send CI_JOB_TOKEN to the CI server's address, glab GITLAB_TOKEN to GITLAB_HOST.
    for (const name of ["HELM_KUBEAPISERVER", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "HELM_KUBECAFILE", "HELM_PLUGINS", "HELM_REPOSITORY_CONFIG", "helm_registry_config", "PULUMI_BACKEND_URL", "PULUMI_HOME", "CI_SERVER_URL", "CI_API_V4_URL", "CI_API_GRAPHQL_URL", "GITLAB_HOST", "GL_HOST"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
    for (const name of ["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_STACK", "CI_JOB_TOKEN", "GITLAB_TOKEN", "CI_PROJECT_ID", "HELMFILE_ENVIRONMENT"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("lets ordinary secrets and settings through", () => {
    for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "DATABASE_URL", "GITHUB_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "NODE_ENV", "API_KEY", "LESSONS_URL", "PORT", "LANG", "TZ", "USER", "GOOGLE_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "MIX_ENV", "TF_VAR_region", "POETRY_HTTP_BASIC_INTERNAL_PASSWORD", "POETRY_PYPI_TOKEN_PYPI", "BUNDLE_GEMS__EXAMPLE__COM", "ERLANG_COOKIE", "PAGERDUTY_TOKEN", "EDITOR_ID", "TF_HTTP_PASSWORD", "TF_TOKEN_app_terraform_io", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("a value not bound to its key may not replace a variable the command would get, unless allowed", () => {
    const inherited = { env: { AWS_PROFILE: "prod" }, unauthenticated: new Set(["AWS_PROFILE", "FRESH"]) };
    expect(() => checkEnvironmentNames("f.env", ["AWS_PROFILE"], new Set(), inherited)).toThrow(/AWS_PROFILE \(would replace your own value[^)]*\).*--allow-env AWS_PROFILE/);
    expect(() => checkEnvironmentNames("f.env", ["AWS_PROFILE"], new Set(["AWS_PROFILE"]), inherited)).not.toThrow();
    expect(() => checkEnvironmentNames("f.env", ["FRESH"], new Set(), inherited)).not.toThrow();
    expect(() => checkEnvironmentNames("f.env", ["AWS_PROFILE"], new Set(), { env: { AWS_PROFILE: "prod" }, unauthenticated: new Set() })).not.toThrow();
  });

  it("--allow-env names are exact", () => {
    expect(() => checkEnvironmentNames("f.env", ["PATH", "A"], new Set(["PATH"]))).not.toThrow();
    expect(() => checkEnvironmentNames("f.env", ["PATH"], new Set(["path"]))).toThrow(/--allow-env PATH/);
  });
});
