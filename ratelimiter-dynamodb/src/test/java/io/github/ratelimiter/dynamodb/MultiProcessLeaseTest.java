package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.dynamodb.LeaseProcesses.Worker;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Leased rate shares across real processes: separate JVMs, each with its own client, on one key of a dynalite
 * table; every admission is logged with the time its decision used, and the merged log is checked against the
 * bucket's bound over every interval. This is the short version for the default build (2 processes, a few
 * seconds); {@code MultiProcessLeaseSoakTest} (profile {@code multiprocess}) runs 4 processes for 20 s and more.
 */
class MultiProcessLeaseTest {

  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @Test
  void twoProcessesWhoseDemandShiftsNeverAdmitMoreThanTheBoundTogether() throws Exception {
    String base = LocalDynamoDb.uniqueName("mp");
    Path dir = Path.of("target", "multiprocess", base); // kept for a look after a failure
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, TableNames.of(base));
    }
    long limit = 4_000;
    // 0-1.5 s: 3,000 + 3,000 asked per second; 1.5-3 s: 5,000 + 1,000; both above the limit of 4,000 together.
    List<Worker> workers = List.of(
        new Worker(true, 10, "0:3000,1500:5000,3000:0"),
        new Worker(true, 10, "0:3000,1500:1000,3000:0"));
    try (LeaseProcesses run = LeaseProcesses.start(DYNAMO.endpoint(), base, "mp-api", limit, 1_000, 4, 100,
        Duration.ofMillis(300), workers, dir)) {
      assertThat(run.await(Duration.ofSeconds(60))).containsOnly(0);
      long[] all = run.admissions();
      long requests = run.requests(0) + run.requests(1);
      System.out.printf("2 processes: %d admitted, %d denied, worst interval excess %d, %d store requests%n",
          all.length, run.denials().length, run.worstExcess(all), requests);
      assertThat(run.worstExcess(all)).as("admissions over the bound, worst interval").isLessThanOrEqualTo(0);
      // How much is offered depends on how busy the machine is (utilisation is measured in the soak and the bench):
      // here only that both processes admitted, and that they did so mostly from leases.
      assertThat(run.admissions(0).length).isPositive();
      assertThat(run.admissions(1).length).isPositive();
      assertThat(requests).as("store requests for %d admissions", all.length).isLessThan(100 + all.length / 10L);
    }
  }
}
