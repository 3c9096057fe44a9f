package dev.popw.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

/** The package rules every module's {@code ArchitectureTest} checks (ArchUnit). */
public final class ArchitectureRules {
  private static final ImportOption MAIN_CODE = new ImportOption.DoNotIncludeTests();

  private ArchitectureRules() {}

  /**
   * No cycle among the packages under {@code root}, {@code root} itself included: each package is
   * a slice of its own, so a cycle between two sibling packages fails as well as one through a
   * parent.
   */
  public static ArchRule noPackageCycles(String root) {
    return slices().assignedFrom(packagesUnder(root)).should().beFreeOfCycles();
  }

  /**
   * Nothing depends on {@code dev.popw.internal..}: sdk-core's implementation, which may change at
   * any time. For every module but sdk-core.
   */
  public static ArchRule noUseOfSdkInternals() {
    return noClasses().should().dependOnClassesThat().resideInAPackage("dev.popw.internal..")
        .because("dev.popw.internal is sdk-core's implementation, not its API");
  }

  /**
   * The classes of main code, without tests: tests, the fixtures they share and the code under
   * test form package cycles that say nothing about the product's layering.
   */
  public static JavaClasses mainCode(JavaClasses classes) {
    return classes.that(DescribedPredicate.describe("are main code",
        (JavaClass c) -> c.getSource().map(s -> MAIN_CODE.includes(Location.of(s.getUri()))).orElse(true)));
  }

  private static SliceAssignment packagesUnder(String root) {
    return new SliceAssignment() {
      @Override
      public SliceIdentifier getIdentifierOf(JavaClass c) {
        String p = c.getPackageName();
        return p.equals(root) || p.startsWith(root + ".") ? SliceIdentifier.of(p) : SliceIdentifier.ignore();
      }

      @Override
      public String getDescription() {
        return "the packages under " + root;
      }
    };
  }
}
