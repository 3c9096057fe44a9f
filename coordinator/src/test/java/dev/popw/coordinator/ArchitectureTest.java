package dev.popw.coordinator;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import dev.popw.testing.ArchitectureRules;

/** The coordinator's package layering; its tests included for the use of sdk-core's internals. */
@AnalyzeClasses(packages = {"dev.popw.coordinator", "db.migration"})
class ArchitectureTest {
  @ArchTest
  static void packages_form_no_cycle(JavaClasses classes) {
    ArchitectureRules.noPackageCycles("dev.popw.coordinator").check(ArchitectureRules.mainCode(classes));
  }

  @ArchTest
  static void nothing_depends_on_sdk_internals(JavaClasses classes) {
    ArchitectureRules.noUseOfSdkInternals().check(classes);
  }
}
