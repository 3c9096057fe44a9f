package dev.popw.bench;

/** Command-line checks shared by the benchmarks' {@code main}s: {@code --help}, and options that come in pairs. */
final class BenchArgs {
  private BenchArgs() {}

  /**
   * Exits with {@code usage} when {@code args} from {@code from} on ask for help (status 0) or are
   * not {@code --option value} pairs (status 2), so that a mistyped command line never starts a
   * long run with the defaults.
   */
  static void pairsOrExit(String[] args, int from, String usage) {
    for (int i = from; i < args.length; i++) {
      if (args[i].equals("-h") || args[i].equals("--help")) {
        System.out.println(usage);
        System.exit(0);
      }
    }
    if ((args.length - from) % 2 != 0) {
      System.err.println("option " + args[args.length - 1] + " needs a value");
      System.err.println(usage);
      System.exit(2);
    }
  }
}
