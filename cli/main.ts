/**
 * The `tsbuild` command. Subcommands that touch the store run inside the build namespace: the first process
 * re-executes itself there (runtime/) and only relays the exit code. Commands are imported when they run, so that
 * first process loads the launcher alone (0.02 s instead of the whole builder's 0.1 s on every build).
 */
import { fileURLToPath } from "node:url";
import { TsbuildError } from "../errors.ts";
import { enterNamespace, inNamespace } from "../runtime/enter_namespace.ts";
import { NamespaceError } from "../runtime/errors.ts";
import { UsageError } from "./errors.ts";
import { VERSION } from "../version.ts";

const HELP = `Usage: tsbuild COMMAND

A rootless, daemonless container image builder.

Commands:
  build     Build an image from a Dockerfile (see 'tsbuild build --help')
  doctor    Show what this machine allows and what a build would use
  history   Show the history of an image (registry reference or OCI layout)
  inspect   Show the manifest and config of an image
  images    List the images built into the store
  rmi       Remove image names from the store
  prune     Remove the build cache (and with --all, every image) from the store
  push      Push an image built into the store, or an exported OCI layout (dir or .tar), to a registry
  login     Log in to a registry (writes ~/.docker/config.json)
  logout    Log out from a registry
  version   Show the version

Run 'tsbuild COMMAND --help' for more on a command.
`;

// push reads built layers, which may be made again from snapshots whose files belong to the namespace's ids.
const NEEDS_NAMESPACE = new Set(["build", "prune", "push"]);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "version" || cmd === "--version" || cmd === "-v") {
    console.log(`tsbuild ${VERSION}`);
    return 0;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    if (cmd === "build") {
      console.log((await import("./build_flags.ts")).BUILD_HELP);
      return 0;
    }
  }
  if (NEEDS_NAMESPACE.has(cmd) && !inNamespace()) {
    try {
      return await enterNamespace({ argv, script: fileURLToPath(import.meta.url) });
    } catch (e) {
      // A push needs the namespace only for built layers kept as snapshots; without one (user namespaces
      // disabled) it still pushes layouts and stored blobs, and says which layer it cannot read otherwise.
      if (cmd !== "push" || !(e instanceof NamespaceError)) throw e;
    }
  }
  const ac = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) Deno.exit(130);
    ac.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    switch (cmd) {
      case "build":
        return await (await import("./build_command.ts")).buildCommand(rest, ac.signal);
      case "doctor": {
        const { formatHostReport, inspectHost } = await import("../runtime/mod.ts");
        console.log(formatHostReport(await inspectHost()));
        // The sources, or the bundle the wrapper picked while it was fresh (scripts/bundle.sh).
        console.log(`program: ${fileURLToPath(import.meta.url)}`);
        return 0;
      }
      case "prune":
        return await (await import("./prune_command.ts")).pruneCommand(rest);
      case "history":
      case "inspect":
      case "images":
      case "rmi":
      case "push":
      case "login":
      case "logout": {
        const commands = await import("./image_commands.ts");
        const run = {
          history: commands.historyCommand,
          inspect: commands.inspectCommand,
          images: commands.imagesCommand,
          rmi: commands.rmiCommand,
          push: commands.pushCommand,
          login: commands.loginCommand,
          logout: commands.logoutCommand,
        }[cmd];
        return await run(rest);
      }
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    if (e instanceof TsbuildError) {
      console.error(`ERROR: ${e.message}`);
      code = e.exitCode;
    } else {
      console.error(`ERROR: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      code = 70;
    }
  }
  Deno.exit(code);
}

export { main };
