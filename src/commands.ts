// The explicit command table oclif loads (package.json oclif.commands); one bundle can carry it, so the
// standalone binary needs no command files on disk. Keep it sorted by command id.
import BrokerRestart from './commands/broker/restart.ts'
import BrokerStart from './commands/broker/start.ts'
import BrokerStop from './commands/broker/stop.ts'
import ClusterFailover from './commands/cluster/failover.ts'
import ClusterRestore from './commands/cluster/restore.ts'
import Completion from './commands/completion.ts'
import Consume from './commands/consume.ts'
import Doctor from './commands/doctor.ts'
import Down from './commands/down.ts'
import GroupDescribe from './commands/group/describe.ts'
import GroupList from './commands/group/list.ts'
import GroupReset from './commands/group/reset.ts'
import Produce from './commands/produce.ts'
import ProfileCreate from './commands/profile/create.ts'
import ProfileDelete from './commands/profile/delete.ts'
import ProfileList from './commands/profile/list.ts'
import ProfileShow from './commands/profile/show.ts'
import ProfileUse from './commands/profile/use.ts'
import Status from './commands/status.ts'
import TopicCreate from './commands/topic/create.ts'
import TopicDelete from './commands/topic/delete.ts'
import TopicDescribe from './commands/topic/describe.ts'
import TopicList from './commands/topic/list.ts'
import Ui from './commands/ui.ts'
import Up from './commands/up.ts'

export const COMMANDS = {
  'broker:restart': BrokerRestart,
  'broker:start': BrokerStart,
  'broker:stop': BrokerStop,
  'cluster:failover': ClusterFailover,
  'cluster:restore': ClusterRestore,
  completion: Completion,
  consume: Consume,
  doctor: Doctor,
  down: Down,
  'group:describe': GroupDescribe,
  'group:list': GroupList,
  'group:reset': GroupReset,
  produce: Produce,
  'profile:create': ProfileCreate,
  'profile:delete': ProfileDelete,
  'profile:list': ProfileList,
  'profile:show': ProfileShow,
  'profile:use': ProfileUse,
  status: Status,
  'topic:create': TopicCreate,
  'topic:delete': TopicDelete,
  'topic:describe': TopicDescribe,
  'topic:list': TopicList,
  ui: Ui,
  up: Up,
}
