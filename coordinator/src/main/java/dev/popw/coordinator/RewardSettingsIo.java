package dev.popw.coordinator;

import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.rewards.Pool;
import dev.popw.coordinator.rewards.RewardSettings;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Map;

/** The {@code [rewards]} settings: keys, defaults and parsing, for {@link SettingsLoader}. */
final class RewardSettingsIo {
  private static final String P = "rewards.";
  private static final String[] ADDRESSES = {"token", "distributor", "credits", "price_feed", "staking"};

  private RewardSettingsIo() {}

  static void keys(Map<String, Character> keys) {
    keys.put(P + "enabled", 'b');
    keys.put(P + "genesis", 's');
    keys.put(P + "initial_epoch_emission", 's');
    keys.put(P + "halving_epochs", 'i');
    keys.put(P + "max_root_multiple", 'i');
    keys.put(P + "minimum_stake", 's');
    for (Pool p : Pool.values()) {
      keys.put(P + "pools." + p.key(), 'd');
    }
    for (String a : ADDRESSES) {
      keys.put(P + a, 's');
    }
    keys.put("data.credits_per_message", 'i');
    keys.put("data.max_page", 'i');
    keys.put("data.token_window_seconds", 'i');
    keys.put("data.max_wait_seconds", 'i');
  }

  static void dataDefaults(Map<String, String> m, dev.popw.coordinator.data.DataSettings d) {
    m.put("data.credits_per_message", Long.toString(d.creditsPerMessage()));
    m.put("data.max_page", Integer.toString(d.maxPage()));
    m.put("data.token_window_seconds", Long.toString(d.tokenWindow().toSeconds()));
    m.put("data.max_wait_seconds", Long.toString(d.maxWait().toSeconds()));
  }

  static dev.popw.coordinator.data.DataSettings data(Map<String, String> v) {
    try {
      long wait = integer(v, "data.max_wait_seconds");
      long window = integer(v, "data.token_window_seconds");
      if (wait < 0 || wait > 60) {
        throw new SettingsException("data.max_wait_seconds must be between 0 and 60 (a long poll holds an API worker)");
      }
      if (window < 1 || window > 86_400) {
        throw new SettingsException("data.token_window_seconds must be between 1 and 86400");
      }
      return new dev.popw.coordinator.data.DataSettings(integer(v, "data.credits_per_message"), (int) Math.min(Integer.MAX_VALUE,
          integer(v, "data.max_page")), java.time.Duration.ofSeconds(window), java.time.Duration.ofSeconds(wait));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  static void defaults(Map<String, String> m, RewardSettings r) {
    m.put(P + "enabled", Boolean.toString(r.enabled()));
    m.put(P + "genesis", r.genesis().toString());
    m.put(P + "initial_epoch_emission", RewardSettings.weiToTokens(r.initialEpochEmission()));
    m.put(P + "halving_epochs", Long.toString(r.halvingEpochs()));
    m.put(P + "max_root_multiple", Long.toString(r.maxRootMultiple()));
    m.put(P + "minimum_stake", RewardSettings.weiToTokens(r.minimumStake()));
    for (Pool p : Pool.values()) {
      m.put(P + "pools." + p.key(), BigDecimal.valueOf(r.poolBps().get(p), 4).stripTrailingZeros().toPlainString());
    }
    for (String a : ADDRESSES) {
      m.put(P + a, "");
    }
  }

  static RewardSettings build(Map<String, String> v) {
    try {
      Instant genesis;
      try {
        genesis = Instant.parse(v.get(P + "genesis"));
      } catch (DateTimeParseException e) {
        throw new SettingsException("rewards.genesis must be a UTC time like 2026-01-01T00:00:00Z, got '" + v.get(P + "genesis") + "'");
      }
      Map<Pool, Integer> pools = new EnumMap<>(Pool.class);
      for (Pool p : Pool.values()) {
        String k = P + "pools." + p.key();
        BigDecimal d;
        try {
          d = new BigDecimal(v.get(k).trim());
        } catch (NumberFormatException e) {
          throw new SettingsException(k + " must be a number between 0 and 1, got '" + v.get(k) + "'");
        }
        if (d.signum() < 0 || d.compareTo(BigDecimal.ONE) > 0 || d.movePointRight(4).stripTrailingZeros().scale() > 0) {
          throw new SettingsException(k + " must be between 0 and 1 with at most 4 decimals, got '" + v.get(k) + "'");
        }
        pools.put(p, d.movePointRight(4).intValueExact());
      }
      String[] a = new String[ADDRESSES.length];
      int set = 0;
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(P + ADDRESSES[i]).trim();
        if (!a[i].isEmpty()) {
          set++;
          try {
            dev.popw.identity.EvmAddress.parse(a[i]);
          } catch (IllegalArgumentException e) {
            throw new SettingsException("rewards." + ADDRESSES[i] + " is not an EVM address: '" + a[i] + "'");
          }
        }
      }
      if (set != 0 && set != a.length) {
        throw new SettingsException("rewards.token, distributor, credits, price_feed and staking are set together or not at all");
      }
      return new RewardSettings(bool(v, P + "enabled"), genesis,
          RewardSettings.tokensToWei("rewards.initial_epoch_emission", v.get(P + "initial_epoch_emission")),
          integer(v, P + "halving_epochs"), integer(v, P + "max_root_multiple"),
          RewardSettings.tokensToWei("rewards.minimum_stake", v.get(P + "minimum_stake")), pools,
          set == 0 ? null : new RewardsContracts(a[0], a[1], a[2], a[3], a[4]));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static boolean bool(Map<String, String> v, String k) {
    return Boolean.parseBoolean(v.get(k));
  }

  private static long integer(Map<String, String> v, String k) {
    try {
      return Long.parseLong(v.get(k).trim());
    } catch (NumberFormatException e) {
      throw new SettingsException(k + " must be an integer, got '" + v.get(k) + "'");
    }
  }
}
