package dev.popw;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import dev.popw.testing.ArchitectureRules;

/** sdk-core's package layering. */
@AnalyzeClasses(packages = "dev.popw")
class ArchitectureTest {
  @ArchTest
  static void packages_form_no_cycle(JavaClasses classes) {
    ArchitectureRules.noPackageCycles("dev.popw").check(ArchitectureRules.mainCode(classes));
  }
}
