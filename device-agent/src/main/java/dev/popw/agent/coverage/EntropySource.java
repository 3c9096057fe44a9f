package dev.popw.agent.coverage;

import dev.popw.entropy.EntropyCheck;

/** Where the coverage source gets the coordinator's entropy for each beacon. */
@FunctionalInterface
public interface EntropySource {
  /** The current entropy, checked (signature, network, age), or why there is none. Never throws. */
  EntropyCheck fetch();
}
